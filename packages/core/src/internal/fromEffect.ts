import * as Cause from "effect/Cause"
import type * as Effect from "effect/Effect"
import * as Exit from "effect/Exit"
import * as Runtime from "effect/Runtime"
import { fromPromise, type PromiseActorLogic } from "xstate"

/**
 * The one bridge from Effect to XState: an Effect as a promise actor. Stopping the actor aborts
 * its signal, which interrupts the Effect; a failure reaches the machine as the error itself
 * (a tagged error), not Effect's FiberFailure wrapper.
 */
export const fromEffect = <Output, Input, E, R>(
  runtime: Runtime.Runtime<R>,
  effect: (input: Input) => Effect.Effect<Output, E, R>,
): PromiseActorLogic<Output, Input> =>
  fromPromise<Output, Input>(({ input, signal }) =>
    Runtime.runPromiseExit(runtime)(effect(input), { signal }).then((exit) => {
      if (Exit.isSuccess(exit)) return exit.value
      throw Cause.squash(exit.cause)
    }),
  )
