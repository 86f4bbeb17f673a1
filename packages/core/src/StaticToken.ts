/**
 * Static token: a caller that already holds an access token and renews it itself.
 *
 * @module
 */
import * as Cause from "effect/Cause"
import * as Clock from "effect/Clock"
import * as Effect from "effect/Effect"
import * as Exit from "effect/Exit"
import * as Layer from "effect/Layer"
import type * as Scope from "effect/Scope"
import { ConfigError } from "./Errors.js"
import { type PlatformOptions, runDetached, startFlow } from "./internal/startFlow.js"
import { staticTokenMachine } from "./machines/staticToken.js"
import type { TokenSource, TokenSourceEffect } from "./TokenSource.js"
import { toEffectSource } from "./TokenSource.js"

/** A token the caller holds; `expiresAt` in epoch milliseconds, if known. */
export interface StaticTokenOptions {
  readonly accessToken: string
  readonly expiresAt?: number | undefined
  readonly scopes?: ReadonlyArray<string> | undefined
}

/** A static token source whose token the caller can replace when it has renewed it. */
export interface StaticTokenSource extends TokenSource {
  /** Replaces the token (the caller refreshed it); the source is valid again. Throws `ConfigError` for an empty token. */
  replace(token: StaticTokenOptions): void
}

const start = (options: StaticTokenOptions & Pick<PlatformOptions, "fetch">, release?: () => void) =>
  Effect.gen(function* () {
    const obtained = yield* obtain(options)
    const source = yield* startFlow<never>({
      machine: staticTokenMachine,
      input: { renewsWith: "none", obtained },
      actors: () => ({}),
      replayOn401: false,
      fetch: options.fetch,
      release,
    })
    const clock = yield* Effect.clock
    const replace = (token: StaticTokenOptions) => {
      const next = Effect.runSyncExit(obtain(token).pipe(Effect.withClock(clock)))
      // The tagged error itself, not Effect's FiberFailure wrapper.
      if (Exit.isFailure(next)) throw Cause.squash(next.cause)
      source.send({ type: "CREDENTIALS_REPLACED", obtained: next.value })
    }
    return Object.assign(source, { replace }) as StaticTokenSource & typeof source
  })

const obtain = (options: StaticTokenOptions) =>
  Effect.gen(function* () {
    if (options.accessToken === "")
      return yield* new ConfigError({ reason: "accessToken must not be empty." })
    return {
      credentials: {
        accessToken: options.accessToken,
        tokenType: "Bearer",
        scopes: [...(options.scopes ?? [])],
        ...(options.expiresAt === undefined ? {} : { expiresAt: options.expiresAt }),
      },
      obtainedAt: yield* Clock.currentTimeMillis,
    }
  })

/**
 * Starts a static token source in the current scope.
 *
 * @see https://www.rfc-editor.org/rfc/rfc6750#section-2.1
 */
export const make = (
  options: StaticTokenOptions & Pick<PlatformOptions, "fetch">,
): Effect.Effect<
  TokenSourceEffect & { readonly replace: (token: StaticTokenOptions) => void },
  ConfigError,
  Scope.Scope
> => start(options).pipe(Effect.map((source) => ({ ...toEffectSource(source), replace: source.replace })))

/**
 * A source over a token the caller already holds. It is never renewed: past `expiresAt`, calls
 * fail with `TokenExpired` until `replace` supplies a new one; `fetch` does not replay on 401.
 *
 * @example
 * ```ts
 * const fixed = staticToken({ accessToken: process.env.SPOTIFY_TOKEN! })
 * ```
 * @see https://www.rfc-editor.org/rfc/rfc6750#section-2.1
 */
export const staticToken = (
  options: StaticTokenOptions & Pick<PlatformOptions, "fetch">,
): StaticTokenSource => runDetached(Layer.empty, (release) => start(options, release))
