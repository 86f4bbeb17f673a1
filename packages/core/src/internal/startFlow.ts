import * as Clock from "effect/Clock"
import * as Effect from "effect/Effect"
import * as Either from "effect/Either"
import type * as Redacted from "effect/Redacted"
import * as Runtime from "effect/Runtime"
import type * as Scope from "effect/Scope"
import { type AnyStateMachine, createActor, fromPromise } from "xstate"
import type { Credentials } from "../Credentials.js"
import type { AuthorizationCodeInput } from "../machines/authorizationCode.js"
import type { DeviceCode } from "../machines/deviceAuthorization.js"
import type { FlowMachine } from "../machines/index.js"
import type { Held, Obtained, Outcome, RenewalInput } from "../machines/lifecycle.js"
import { ActorTokenSource } from "../TokenSource.js"
import { runForActor } from "./bridge.js"
import { type FlowConfig, persist, renew, revoke } from "./flowEffects.js"
import { memoizeByObject } from "./memoize.js"
import { held, unsavedOf } from "./renewal.js"
import type { FlowServices } from "./sharedServices.js"

export { type PlatformOptions, sourceRuntime } from "./sharedServices.js"

// The actors `provide` takes: every flow machine gets the same set, each uses those it names.
type Actors = NonNullable<Parameters<FlowMachine["provide"]>[0]["actors"]>

/** What a flow's start has validated: the machine to run and what its actors work with. */
export interface FlowPlan<R> {
  /** Any flow machine: each names a subset of the actors below, which are provided by name. */
  readonly machine: AnyStateMachine
  readonly input: RenewalInput | AuthorizationCodeInput
  /** Absent for flows without actors (a static token). */
  readonly config?: FlowConfig | undefined
  /** The authorization code flow's one exchange, bound to its pending login. */
  readonly exchangeCode?:
    | ((input: {
        readonly code: Redacted.Redacted<string>
      }) => Effect.Effect<Obtained, unknown, FlowServices>)
    | undefined
  /** The device flow's two steps, bound to its configuration and prompt. */
  readonly device?: DeviceSteps | undefined
  readonly replayOn401: boolean
  readonly fetch?: typeof globalThis.fetch | undefined
  /** Runs once the flow has stopped and its in-flight runs have settled. */
  readonly afterStop?: Effect.Effect<void, never, R> | undefined
}

/** The device authorization grant's requests, as its machine's actors run them. */
export interface DeviceSteps {
  readonly request: () => Effect.Effect<DeviceCode, unknown, FlowServices>
  readonly poll: (input: { readonly device: DeviceCode }) => Effect.Effect<Obtained, unknown, FlowServices>
}

/**
 * A flow's start as a pure function of the time: a Promise-API source is planned without
 * starting a fiber (which cost more than the actor itself).
 */
export type Planner<R, E> = (now: number) => Either.Either<FlowPlan<R>, E>

/** What one source's actors run with, found through the actor system of its root actor. */
interface FlowEnvironment {
  readonly runtime: Runtime.Runtime<FlowServices>
  readonly config: FlowConfig
  readonly inFlight: Set<Promise<unknown>>
  readonly exchangeCode: FlowPlan<never>["exchangeCode"]
  readonly device: DeviceSteps | undefined
}

// Keyed by actor system: the machines (and their actor logic) are shared by every source, so
// what differs per source cannot live in closures over them.
const environments = new WeakMap<object, FlowEnvironment>()

const environmentActor = <Input, Output>(
  effect: (environment: FlowEnvironment, input: Input) => Effect.Effect<Output, unknown, FlowServices>,
) =>
  fromPromise<Output, Input>(({ input, system, signal }) => {
    const environment = environments.get(system)!
    return runForActor(environment.runtime, effect(environment, input), signal, environment.inFlight)
  })

/** An actor for a step that only some flows plan (their environment carries it). */
const planStep = <Input, Output>(
  what: string,
  step: (
    environment: FlowEnvironment,
  ) => ((input: Input) => Effect.Effect<Output, unknown, FlowServices>) | undefined,
) =>
  environmentActor((environment, input: Input) => {
    const run = step(environment)
    return run === undefined ? Effect.dieMessage(`this flow has no ${what}`) : run(input)
  })

/**
 * A token request as its machine sees it: the credentials with when they fall due, and a failed
 * save as an `Unsaved` outcome carrying them (the error keeps them too, for `unsavedCredentials`).
 */
const asOutcome = <E>(
  environment: FlowEnvironment,
  request: Effect.Effect<Obtained, E, FlowServices>,
): Effect.Effect<Outcome, E, FlowServices> => {
  const { marginMs } = environment.config
  return Effect.matchEffect(request, {
    onSuccess: (obtained) => Effect.succeed({ _tag: "Saved", held: held(obtained, marginMs) }),
    onFailure: (error) => {
      const unsaved = unsavedOf(error)
      return unsaved === undefined
        ? Effect.fail(error)
        : Effect.succeed({ _tag: "Unsaved", held: held(unsaved, marginMs), error })
    },
  })
}

/** A planned token request (a code exchange, a device poll) with its outcome as above. */
const plannedRequest =
  <Input>(step: ((input: Input) => Effect.Effect<Obtained, unknown, FlowServices>) | undefined) =>
  (environment: FlowEnvironment) =>
    step === undefined ? undefined : (input: Input) => asOutcome(environment, step(input))

const flowActors = {
  renew: environmentActor((environment, input: { readonly credentials: Credentials | undefined }) =>
    asOutcome(environment, renew(environment.config)(input)),
  ),
  persist: environmentActor((environment, input: Held) =>
    Effect.map(persist(environment.config)(input), (obtained) => held(obtained, environment.config.marginMs)),
  ),
  revoke: environmentActor((environment, input: { readonly credentials: Credentials | undefined }) =>
    revoke(environment.config)(input),
  ),
  exchangeCode: planStep("authorization code to exchange", (environment) =>
    plannedRequest(environment.exchangeCode)(environment),
  ),
  requestDeviceCode: planStep("device code to request", (environment) => environment.device?.request),
  pollDeviceCode: planStep("device code to poll", (environment) =>
    plannedRequest(environment.device?.poll)(environment),
  ),
} as unknown as Actors

// One provided machine per flow kind, not one copy of the state-node tree per source.
const providedMachine = memoizeByObject(
  (machine: AnyStateMachine): FlowMachine => (machine as FlowMachine).provide({ actors: flowActors }),
)

/** Starts a planned flow's actor on `runtime`; `stop()` on the source ends it. */
export const launchFlow = <R>(runtime: Runtime.Runtime<R>, clock: Clock.Clock, plan: FlowPlan<R>) => {
  const inFlight = new Set<Promise<unknown>>()
  const config = plan.config
  const actor = createActor(
    config === undefined ? (plan.machine as FlowMachine) : providedMachine(plan.machine),
    {
      input: plan.input,
    },
  )
  if (config !== undefined) {
    environments.set(actor.system, {
      runtime: runtime as unknown as Runtime.Runtime<FlowServices>,
      config,
      inFlight,
      exchangeCode: plan.exchangeCode,
      device: plan.device,
    })
  }
  actor.start()
  const afterStop = plan.afterStop
  return new ActorTokenSource({
    actor,
    clock,
    fetch: plan.fetch ?? ((input, init) => globalThis.fetch(input, init)),
    replayOn401: plan.replayOn401,
    release: afterStop === undefined ? undefined : () => Runtime.runPromise(runtime, afterStop),
    settled: () => Promise.allSettled([...inFlight]).then(() => {}),
  })
}

/**
 * Starts a planned flow on the current runtime; closing the scope stops it, waiting for runs
 * past their point of no return (a sent token request).
 */
export const startFlow = <R, E>(
  planner: Planner<R, E>,
): Effect.Effect<ActorTokenSource, E, R | Scope.Scope> =>
  // The runtime is taken before acquireRelease: inside its uninterruptible acquire, the actors'
  // runs would inherit that and no timeout could cut a hanging request.
  Effect.flatMap(Effect.runtime<R>(), (runtime) =>
    Effect.clockWith((clock) =>
      Effect.flatMap(clock.currentTimeMillis, (now) =>
        Effect.flatMap(planner(now), (plan) =>
          Effect.acquireRelease(
            Effect.sync(() => launchFlow(runtime, clock, plan)),
            (source) => Effect.promise(() => source.stopped()),
          ),
        ),
      ),
    ),
  )

/** The clock of Promise-API sources. */
export const liveClock: Clock.Clock = Clock.make()

/**
 * Plans and starts a flow for the Promise API on `runtime` (see `sourceRuntime`); throws the
 * plan's error itself. Synchronous, so `clientCredentials({...})` returns a source without `await`.
 */
export const runDetached = <R, E>(runtime: Runtime.Runtime<R>, planner: Planner<R, E>): ActorTokenSource => {
  const plan = planner(liveClock.unsafeCurrentTimeMillis())
  if (Either.isLeft(plan)) throw plan.left
  return launchFlow(runtime, liveClock, plan.right)
}

/**
 * A Promise-API source whose start ends with a first step (a code exchange, a device login): the
 * source once that step succeeds; otherwise the step's error, after the source has stopped and
 * its in-flight runs have settled.
 */
export const afterFirstStep = async <A>(source: A & { stopped(): Promise<void> }, step: Promise<unknown>) => {
  try {
    await step
    return source
  } catch (error) {
    await source.stopped()
    throw error
  }
}
