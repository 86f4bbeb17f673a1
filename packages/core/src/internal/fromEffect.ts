import * as Cause from "effect/Cause"
import * as Context from "effect/Context"
import type * as Effect from "effect/Effect"
import * as Exit from "effect/Exit"
import * as Runtime from "effect/Runtime"
import { fromPromise, type PromiseActorLogic } from "xstate"

/**
 * The actor runs still in flight for one source. Stopping a source interrupts them, but a run
 * past its point of no return (a token request sent) finishes first; the source releases its
 * services only once every run has settled.
 */
export class InFlight extends Context.Tag("@grantflow/core/internal/InFlight")<
  InFlight,
  Set<Promise<unknown>>
>() {}

/**
 * The one bridge from Effect to XState: an Effect as a promise actor. Stopping the actor aborts
 * its signal, which interrupts the Effect; a failure reaches the machine as the error itself
 * (a tagged error), not Effect's FiberFailure wrapper.
 */
export const fromEffect = <Output, Input, E, R>(
  runtime: Runtime.Runtime<R>,
  effect: (input: Input) => Effect.Effect<Output, E, R>,
): PromiseActorLogic<Output, Input> =>
  fromPromise<Output, Input>(({ input, signal }) => {
    const run = Runtime.runPromiseExit(runtime)(effect(input), { signal })
    const inFlight = Context.getOption(runtime.context as Context.Context<unknown>, InFlight)
    if (inFlight._tag === "Some") {
      inFlight.value.add(run)
      void run.then(() => inFlight.value.delete(run))
    }
    return run.then((exit) => {
      if (Exit.isSuccess(exit)) return exit.value
      throw Cause.squash(exit.cause)
    })
  })
