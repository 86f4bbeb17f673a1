/**
 * Client credentials: app-only access for backends, daemons and scripts.
 *
 * @module
 */
import * as Effect from "effect/Effect"
import * as Either from "effect/Either"
import type * as Scope from "effect/Scope"
import type { CredentialStore } from "./CredentialStore.js"
import { ConfigError } from "./Errors.js"
import { forgetPrivateRecord } from "./internal/flowEffects.js"
import { type ClientSecret, flowConfig, type ProviderFlowOptions } from "./internal/flowOptions.js"
import {
  type Planner,
  type PlatformOptions,
  runDetached,
  sourceRuntime,
  startFlow,
} from "./internal/startFlow.js"
import { clientCredentialsMachine } from "./machines/clientCredentials.js"
import type { TokenEndpoint } from "./TokenEndpoint.js"
import { type TokenSource, type TokenSourceEffect, toEffectSource } from "./TokenSource.js"

/** What the client credentials flow needs; the secret is required. */
export interface ClientCredentialsOptions<Scope extends string = string>
  extends Omit<ProviderFlowOptions<Scope>, "clientSecret" | "onCredentialsRefreshed"> {
  readonly clientSecret: ClientSecret
}

/**
 * Starts a client credentials source in the current scope. The first call requests a token; a
 * new one is requested when it is due.
 *
 * @see https://www.rfc-editor.org/rfc/rfc6749#section-4.4
 */
export const make = <Scope extends string>(
  options: ClientCredentialsOptions<Scope> & Pick<PlatformOptions, "fetch">,
): Effect.Effect<TokenSourceEffect, ConfigError, TokenEndpoint | CredentialStore | Scope.Scope> =>
  Effect.map(startFlow(plan(options)), toEffectSource)

const plan =
  <Scope extends string>(
    options: ClientCredentialsOptions<Scope> & Pick<PlatformOptions, "fetch">,
  ): Planner<TokenEndpoint | CredentialStore, ConfigError> =>
  () => {
    // The client is the grant: sources of one client and scopes may share an explicit key.
    const grantId = `client_credentials ${options.clientId} ${[...(options.scopes ?? [])].sort().join(" ")}`
    const config = flowConfig(options, "client_credentials", grantId)
    if (Either.isLeft(config)) return Either.left(config.left)
    if (config.right.client.clientSecret === undefined) {
      return Either.left(new ConfigError({ reason: "the client credentials flow needs a clientSecret." }))
    }
    return Either.right({
      machine: clientCredentialsMachine,
      input: {},
      config: config.right,
      replayOn401: true,
      fetch: options.fetch,
      afterStop: forgetPrivateRecord(config.right),
    })
  }

/**
 * A token source for app-only data: no user, no refresh token.
 *
 * @example
 * ```ts
 * const app = clientCredentials({ provider: providers.spotify, clientId, clientSecret })
 * const response = await app.fetch("https://api.spotify.com/v1/browse/new-releases")
 * ```
 * @see https://www.rfc-editor.org/rfc/rfc6749#section-4.4
 */
export const clientCredentials = <Scope extends string>(
  options: ClientCredentialsOptions<Scope> & PlatformOptions,
): TokenSource => runDetached(sourceRuntime(options), plan(options))
