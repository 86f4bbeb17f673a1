/**
 * The one place where Effect meets Promises and XState. The core is Effect-first: flows' side
 * effects are Effects, actors run them here, and the Promise API is a thin edge over them.
 *
 * @module
 */
import * as Cause from "effect/Cause"
import * as Effect from "effect/Effect"
import * as Exit from "effect/Exit"
import * as Runtime from "effect/Runtime"
import type { GrantflowError } from "../Errors.js"

/**
 * An Exit's value, or its failure thrown as the error itself (one of the tagged error classes),
 * not Effect's FiberFailure wrapper, so `instanceof` and `name` work for callers who never touch
 * Effect.
 */
export const valueOrThrow = <A, E>(exit: Exit.Exit<A, E>): A => {
  if (Exit.isSuccess(exit)) return exit.value
  throw Cause.squash(exit.cause)
}

/** Runs an Effect for the Promise facade; rejects with the failure itself (see {@link valueOrThrow}). */
export const runPromise = <A, E>(
  effect: Effect.Effect<A, E>,
  options?: { readonly signal?: AbortSignal },
): Promise<A> => Effect.runPromiseExit(effect, options).then(valueOrThrow)

/** Runs an Effect on `runtime` synchronously for the Promise facade (see {@link valueOrThrow}). */
export const runSync = <A, E, R>(runtime: Runtime.Runtime<R>, effect: Effect.Effect<A, E, R>): A =>
  valueOrThrow(Runtime.runSyncExit(runtime, effect))

/** The async form of {@link runSync}. */
export const runPromiseOn = <A, E, R>(
  runtime: Runtime.Runtime<R>,
  effect: Effect.Effect<A, E, R>,
  options?: { readonly signal?: AbortSignal },
): Promise<A> => Runtime.runPromiseExit(runtime, effect, options).then(valueOrThrow)

/**
 * Runs an actor's Effect: the actor's abort signal interrupts it, and `inFlight` holds the run
 * until it settles, so a stopped source can wait for runs past their point of no return.
 */
export const runForActor = <A, E, R>(
  runtime: Runtime.Runtime<R>,
  effect: Effect.Effect<A, E, R>,
  signal: AbortSignal,
  inFlight: Set<Promise<unknown>>,
): Promise<A> => {
  const run = Runtime.runPromiseExit(runtime, effect, { signal })
  inFlight.add(run)
  void run.then(() => inFlight.delete(run))
  return run.then(valueOrThrow)
}

/**
 * A flow's outcome as an Effect. A source's promises reject only with what its machine holds as
 * the flow's error, a tagged `GrantflowError`; interruption stops the wait.
 */
export const awaitFlow = <A>(run: () => Promise<A>): Effect.Effect<A, GrantflowError> =>
  Effect.async((resume) => {
    run().then(
      (value) => resume(Effect.succeed(value)),
      (error: GrantflowError) => resume(Effect.fail(error)),
    )
  })
