import * as Cause from "effect/Cause"
import * as Effect from "effect/Effect"
import * as Exit from "effect/Exit"

/**
 * Runs an Effect for the Promise facade. Rejects with the failure itself (one of the tagged
 * error classes), not Effect's FiberFailure wrapper, so `instanceof` and `name` work for callers
 * who never touch Effect.
 */
export const runPromise = <A, E>(
  effect: Effect.Effect<A, E>,
  options?: { readonly signal?: AbortSignal },
): Promise<A> =>
  Effect.runPromiseExit(effect, options).then((exit) => {
    if (Exit.isSuccess(exit)) return exit.value
    throw Cause.squash(exit.cause)
  })
