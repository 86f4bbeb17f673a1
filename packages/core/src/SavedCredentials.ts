/**
 * Saved credentials: resume a user's stored tokens and keep them fresh.
 *
 * @module
 */
import * as Effect from "effect/Effect"
import * as Either from "effect/Either"
import * as Schema from "effect/Schema"
import type * as Scope from "effect/Scope"
import type { CredentialStore } from "./CredentialStore.js"
import { Credentials } from "./Credentials.js"
import { ConfigError } from "./Errors.js"
import { forgetPrivateRecord } from "./internal/flowEffects.js"
import { flowConfig, type ProviderFlowOptions, randomId } from "./internal/flowOptions.js"
import { held } from "./internal/renewal.js"
import {
  type Planner,
  type PlatformOptions,
  runDetached,
  sourceRuntime,
  startFlow,
} from "./internal/startFlow.js"
import { savedCredentialsMachine } from "./machines/savedCredentials.js"
import type { TokenEndpoint } from "./TokenEndpoint.js"
import { type TokenSource, type TokenSourceEffect, toEffectSource } from "./TokenSource.js"

/** What the saved credentials flow needs: the credentials an app stored (decoded again here). */
export interface SavedCredentialsOptions<Scope extends string> extends ProviderFlowOptions<Scope> {
  readonly credentials: Credentials
}

const decode = Schema.decodeUnknownEither(Credentials)

const plan =
  <Scope extends string>(
    options: SavedCredentialsOptions<Scope> & Pick<PlatformOptions, "fetch">,
  ): Planner<TokenEndpoint | CredentialStore, ConfigError> =>
  (obtainedAt) => {
    const decoded = decode(options.credentials)
    if (Either.isLeft(decoded)) {
      return Either.left(
        new ConfigError({
          reason: "credentials are not grantflow Credentials (see the Credentials schema).",
        }),
      )
    }
    // Credentials saved before grants had ids start a grant of their own here.
    const credentials = { ...decoded.right, grantId: decoded.right.grantId ?? randomId() }
    const config = flowConfig(options, "refresh_token", credentials.grantId)
    if (Either.isLeft(config)) return Either.left(config.left)
    // The lifetime of stored credentials is unknown, so the margin is capped by what remains.
    return Either.right({
      machine: savedCredentialsMachine,
      input: { obtained: held({ credentials, obtainedAt }, config.right.marginMs) },
      config: config.right,
      replayOn401: true,
      fetch: options.fetch,
      afterStop: forgetPrivateRecord(config.right),
    })
  }

/**
 * Starts a saved credentials source in the current scope.
 *
 * @see https://www.rfc-editor.org/rfc/rfc6749#section-6
 */
export const make = <Scope extends string>(
  options: SavedCredentialsOptions<Scope> & Pick<PlatformOptions, "fetch">,
): Effect.Effect<TokenSourceEffect, ConfigError, TokenEndpoint | CredentialStore | Scope.Scope> =>
  Effect.map(startFlow(plan(options)), toEffectSource)

/**
 * Resumes stored credentials, renewing with the refresh token. `onCredentialsRefreshed` is
 * awaited with every new set (a rotated refresh token included) before any caller gets it.
 *
 * @example
 * ```ts
 * const user = savedCredentials({
 *   provider: providers.spotify, clientId, credentials: JSON.parse(await readFile("tokens.json", "utf8")),
 *   onCredentialsRefreshed: (next) => writeFile("tokens.json", JSON.stringify(next)),
 * })
 * ```
 * @see https://www.rfc-editor.org/rfc/rfc6749#section-6
 */
export const savedCredentials = <Scope extends string>(
  options: SavedCredentialsOptions<Scope> & PlatformOptions,
): TokenSource => runDetached(sourceRuntime(options), plan(options))
