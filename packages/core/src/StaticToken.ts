/**
 * Static token: a caller that already holds an access token and renews it itself.
 *
 * @module
 */
import type * as Clock from "effect/Clock"
import * as Effect from "effect/Effect"
import * as Either from "effect/Either"
import * as Runtime from "effect/Runtime"
import type * as Scope from "effect/Scope"
import { ConfigError } from "./Errors.js"
import {
  liveClock,
  type Planner,
  type PlatformOptions,
  runDetached,
  startFlow,
} from "./internal/startFlow.js"
import { staticTokenMachine } from "./machines/staticToken.js"
import type { ActorTokenSource, TokenSource, TokenSourceEffect } from "./TokenSource.js"
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

// A static token needs no services: no token endpoint, no store.
const runtime = Runtime.defaultRuntime

const plan =
  (options: StaticTokenOptions & Pick<PlatformOptions, "fetch">): Planner<never, ConfigError> =>
  (now) =>
    Either.map(obtain(options, now), (obtained) => ({
      machine: staticTokenMachine,
      input: { obtained },
      replayOn401: false,
      fetch: options.fetch,
    }))

const withReplace = (source: ActorTokenSource, clock: Clock.Clock) => {
  const replace = (token: StaticTokenOptions) => {
    const next = obtain(token, clock.unsafeCurrentTimeMillis())
    // The tagged error itself, for callers who never touch Effect.
    if (Either.isLeft(next)) throw next.left
    source.send({ type: "CREDENTIALS_REPLACED", held: next.right })
  }
  return Object.assign(source, { replace }) as StaticTokenSource & typeof source
}

const obtain = (options: StaticTokenOptions, obtainedAt: number) =>
  options.accessToken === ""
    ? Either.left(new ConfigError({ reason: "accessToken must not be empty." }))
    : Either.right({
        credentials: {
          accessToken: options.accessToken,
          tokenType: "Bearer",
          scopes: [...(options.scopes ?? [])],
          ...(options.expiresAt === undefined ? {} : { expiresAt: options.expiresAt }),
        },
        obtainedAt,
        // A static token is used until it expires: no margin.
        renewAt: options.expiresAt,
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
> =>
  Effect.gen(function* () {
    const source = withReplace(yield* startFlow(plan(options)), yield* Effect.clock)
    return { ...toEffectSource(source), replace: source.replace }
  })

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
): StaticTokenSource => withReplace(runDetached(runtime, plan(options)), liveClock)
