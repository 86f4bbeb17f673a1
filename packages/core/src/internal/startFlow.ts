import * as Cause from "effect/Cause"
import * as Effect from "effect/Effect"
import * as Exit from "effect/Exit"
import * as Layer from "effect/Layer"
import * as ManagedRuntime from "effect/ManagedRuntime"
import type * as Runtime from "effect/Runtime"
import * as Scope from "effect/Scope"
import { type AnyStateMachine, createActor } from "xstate"
import { layer as httpLayer } from "#platform/http"
import { CredentialStore, layerMemory } from "../CredentialStore.js"
import type { authorizationCodeMachine } from "../machines/authorizationCode.js"
import type { LifecycleInput } from "../machines/lifecycle.js"
import { type AnyCredentialStore, toCredentialStoreService } from "../PromiseCredentialStore.js"
import * as TokenEndpoint from "../TokenEndpoint.js"
import { ActorTokenSource } from "../TokenSource.js"
import { type FlowConfig, persist, renew, revoke } from "./flowEffects.js"
import { fromEffect, InFlight } from "./fromEffect.js"

type FlowMachine = typeof authorizationCodeMachine
type Actors = NonNullable<Parameters<FlowMachine["provide"]>[0]["actors"]>

/** Options every Promise-API flow accepts for its platform services. */
export interface PlatformOptions {
  /** Where credentials are saved and renewals are locked, Promise- or Effect-shaped; defaults to memory. */
  readonly store?: AnyCredentialStore | undefined
  /** The token endpoint's timeout and retry policy. */
  readonly tokenEndpoint?: TokenEndpoint.TokenEndpointOptions | undefined
  /** What `TokenSource.fetch` sends requests with; defaults to the global `fetch`. */
  readonly fetch?: typeof globalThis.fetch | undefined
}

/** The actors every renewing flow provides, bound to an Effect runtime. */
export const renewalActors =
  (config: FlowConfig) => (runtime: Runtime.Runtime<TokenEndpoint.TokenEndpoint | CredentialStore>) => ({
    renew: fromEffect(runtime, renew(config)),
    persist: fromEffect(runtime, persist(config)),
    revoke: fromEffect(runtime, revoke(config)),
  })

/** Runs a flow machine with its actors bound to the current Effect runtime; stops with the scope. */
export const startFlow = <R>(options: {
  /** Any flow machine: they share the lifecycle's context, events and actors. */
  readonly machine: AnyStateMachine
  readonly input: LifecycleInput
  readonly actors: (runtime: Runtime.Runtime<R>) => Actors
  readonly replayOn401: boolean
  readonly fetch?: typeof globalThis.fetch | undefined
  readonly release?: (() => void) | undefined
  /** Runs once the flow has stopped and its in-flight runs have settled. */
  readonly afterStop?: Effect.Effect<void, never, R> | undefined
}): Effect.Effect<ActorTokenSource, never, R | Scope.Scope> =>
  Effect.gen(function* () {
    const inFlight = new Set<Promise<unknown>>()
    const runtime = yield* Effect.runtime<R>().pipe(Effect.provideService(InFlight, inFlight))
    const clock = yield* Effect.clock
    const actor = createActor((options.machine as FlowMachine).provide({ actors: options.actors(runtime) }), {
      input: options.input,
    })
    const settled = () => Promise.allSettled([...inFlight]).then(() => {})
    // Closing the scope waits for runs past their point of no return (a sent token request).
    yield* Effect.acquireRelease(
      Effect.sync(() => actor.start()),
      () =>
        Effect.sync(() => actor.stop()).pipe(
          Effect.zipRight(Effect.promise(settled)),
          Effect.zipRight(options.afterStop ?? Effect.void),
        ),
    )
    return new ActorTokenSource({
      actor,
      clock,
      fetch: options.fetch ?? ((input, init) => globalThis.fetch(input, init)),
      replayOn401: options.replayOn401,
      release: options.release ?? (() => {}),
      settled,
    })
  })

/** The services a flow needs, from the platform defaults and the caller's options. */
export const platformLayer = (options: PlatformOptions) =>
  Layer.mergeAll(
    TokenEndpoint.layer(options.tokenEndpoint).pipe(Layer.provide(httpLayer)),
    options.store === undefined
      ? layerMemory
      : Layer.succeed(CredentialStore, toCredentialStoreService(options.store)),
  )

// A runtime and scope of their own for each Promise-API source, both released by `stop()`.
const detach = <R>(layer: Layer.Layer<R, never, never>) => {
  const managed = ManagedRuntime.make(layer)
  const scope = Effect.runSync(Scope.make())
  let released = false
  const release = () => {
    if (released) return
    released = true
    Effect.runFork(Scope.close(scope, Exit.void))
    void managed.dispose()
  }
  return { managed, scope, release }
}

// A source dropped without `stop()` still releases its runtime, and with it the keep-alive
// connections of its HTTP layer, once the garbage collector has taken it.
const dropped = new FinalizationRegistry<() => void>((release) => release())

const settle = <A, E>(exit: Exit.Exit<A, E>, release: () => void): A => {
  if (Exit.isSuccess(exit)) {
    if (typeof exit.value === "object" && exit.value !== null) dropped.register(exit.value, release)
    return exit.value
  }
  release()
  throw Cause.squash(exit.cause)
}

/**
 * Runs a flow for the Promise API. Synchronous, so `clientCredentials({...})` returns a source
 * without `await`.
 */
export const runDetached = <A, E, R>(
  layer: Layer.Layer<R, never, never>,
  build: (release: () => void) => Effect.Effect<A, E, R | Scope.Scope>,
): A => {
  const { managed, scope, release } = detach(layer)
  return settle(managed.runSyncExit(build(release).pipe(Scope.extend(scope))), release)
}

/** The async form of {@link runDetached}, for flows whose start waits on the network. */
export const runDetachedPromise = async <A, E, R>(
  layer: Layer.Layer<R, never, never>,
  build: (release: () => void) => Effect.Effect<A, E, R | Scope.Scope>,
): Promise<A> => {
  const { managed, scope, release } = detach(layer)
  return settle(await managed.runPromiseExit(build(release).pipe(Scope.extend(scope))), release)
}
