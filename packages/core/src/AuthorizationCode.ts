/**
 * Authorization code, for server apps (with a client secret) and public clients (with PKCE):
 * `begin` sends the user to the server, `complete` checks the callback and exchanges the code.
 *
 * @module
 */
import * as Effect from "effect/Effect"
import * as Either from "effect/Either"
import type * as Scope from "effect/Scope"
import {
  type BeginOptions,
  begin as beginRequest,
  defaultPendingMaxAgeMs,
  type PendingLogin,
  type PendingLoginFor,
  type SealingKey,
  type SealOptions,
  type SecretPendingLogin,
  seal as sealPending,
  unseal as unsealPending,
  validatePendingLogin,
} from "./AuthorizationRequest.js"
import type { CallbackError } from "./AuthorizationResponse.js"
import type { CredentialStore } from "./CredentialStore.js"
import * as Entropy from "./Entropy.js"
import { ConfigError, type GrantflowError, InvalidPendingLogin } from "./Errors.js"
import { runPromise, runSync } from "./internal/bridge.js"
import { markCompleted } from "./internal/completedLogins.js"
import { exchangeCode, forgetPrivateRecord } from "./internal/flowEffects.js"
import { type ClientSecret, flowConfig, type ProviderFlowOptions, randomId } from "./internal/flowOptions.js"
import {
  afterFirstStep,
  type FlowPlan,
  launchFlow,
  liveClock,
  type PlatformOptions,
  sourceRuntime,
  startFlow,
} from "./internal/startFlow.js"
import { authorizationCodeMachine } from "./machines/authorizationCode.js"
import type { AuthorizationParams } from "./Provider.js"
import type { TokenEndpoint } from "./TokenEndpoint.js"
import { type TokenSource, type TokenSourceEffect, toEffectSource } from "./TokenSource.js"

/** What {@link complete} needs: the pending login from `begin` and the URL the server redirected to. */
export interface CompleteOptions<Scope extends string = string, Pending extends PendingLogin = PendingLogin>
  extends ProviderFlowOptions<Scope> {
  /**
   * The pending login `begin` returned, as stored: it is decoded and checked again here as
   * untrusted input. Consume it (delete the cookie or session entry) before calling `complete`,
   * so a replayed callback finds nothing to complete.
   */
  readonly pending: Pending
  /**
   * The full callback URL (its origin and path must be the pending login's `redirectUri`), its
   * path and query, or its query parameters.
   */
  readonly callbackUrl: string | URL | URLSearchParams
  /** How long after `begin` the login may be completed. Default 10 minutes. */
  readonly pendingMaxAgeMs?: number | undefined
}

/** A login begun without PKCE can only be completed by a confidential client: the secret is required. */
export type SecretFor<Pending extends PendingLogin> = [Pending] extends [SecretPendingLogin]
  ? { readonly clientSecret: ClientSecret }
  : unknown

/**
 * Starts a login: the URL to send the user to, and the pending login to keep (in an HttpOnly
 * cookie, a server session or sessionStorage) until the callback. PKCE is on by default.
 *
 * @see https://www.rfc-editor.org/rfc/rfc6749#section-4.1.1
 * @see https://www.rfc-editor.org/rfc/rfc7636#section-4.3
 */
export const begin = <
  Scope extends string,
  Params extends AuthorizationParams,
  const Pkce extends boolean | undefined = undefined,
>(
  options: BeginOptions<Scope, Params, Pkce>,
): Promise<{ readonly url: string; readonly pending: PendingLoginFor<Pkce> }> =>
  runPromise(beginRequest(options).pipe(Effect.provide(Entropy.layer)))

const plan = <Scope extends string>(
  options: CompleteOptions<Scope> & Pick<PlatformOptions, "fetch">,
): Effect.Effect<FlowPlan<TokenEndpoint | CredentialStore>, GrantflowError> =>
  Effect.gen(function* () {
    // The grant is born here; its id stays with its credentials through every rotation.
    const config = yield* flowConfig(options, "refresh_token", randomId())
    const maxAgeMs = options.pendingMaxAgeMs ?? defaultPendingMaxAgeMs
    const pending = yield* validatePendingLogin(options.pending, { provider: options.provider, maxAgeMs })
    if (config.client.clientSecret === undefined && pending.codeVerifier === undefined) {
      return yield* new ConfigError({
        reason: "a public client (no clientSecret) must use PKCE: begin({ pkce: true }).",
      })
    }
    const exchange = exchangeCode(
      { ...config, scopes: config.scopes.length > 0 ? config.scopes : pending.scopes },
      { redirectUri: pending.redirectUri, codeVerifier: pending.codeVerifier },
    )
    return {
      machine: authorizationCodeMachine,
      input: { expectation: { provider: options.provider, pending } },
      config,
      exchangeCode: (input) => Effect.zipRight(consume(pending, maxAgeMs), exchange(input)),
      replayOn401: true,
      fetch: options.fetch,
      afterStop: forgetPrivateRecord(config),
    }
  })

/** Hands the callback to a started source; a failed login stops it. */
// A pending login is exchanged once per process, whatever the adapter does with it.
const consume = (pending: PendingLogin, maxAgeMs: number) =>
  Effect.flatMap(
    Effect.clockWith((clock) => clock.currentTimeMillis),
    (now) =>
      markCompleted(pending.state, pending.createdAt + maxAgeMs, now)
        ? Effect.void
        : Effect.fail(new InvalidPendingLogin({ reason: "AlreadyCompleted" })),
  )

/**
 * Completes a login: checks the pending login (shape, issuer, age), then the callback (origin and
 * path, `iss`, `state`, errors), and exchanges the code once; a second completion of the same
 * pending login in this process is refused. Nothing that fails a check reaches the token
 * endpoint. The new credentials are saved (store, then `onCredentialsRefreshed`) before the
 * source is returned; if saving fails the result is a `PersistenceError` that keeps them:
 * `unsavedCredentials(error)` returns them, to save elsewhere or resume with `savedCredentials`.
 *
 * @see https://www.rfc-editor.org/rfc/rfc6749#section-4.1.2
 * @see https://www.rfc-editor.org/rfc/rfc6749#section-4.1.3
 */
export const complete = <Scope extends string, Pending extends PendingLogin>(
  options: CompleteOptions<Scope, Pending> & SecretFor<Pending> & Pick<PlatformOptions, "fetch">,
): Effect.Effect<
  TokenSourceEffect,
  CallbackError | GrantflowError,
  TokenEndpoint | CredentialStore | Scope.Scope
> =>
  Effect.flatMap(plan(options), (planned) => startFlow(() => Either.right(planned))).pipe(
    Effect.flatMap((source) =>
      Effect.tryPromise({
        try: () => afterFirstStep(source, source.receiveCallback(options.callbackUrl)),
        catch: (error) => error as GrantflowError,
      }),
    ),
    Effect.map(toEffectSource),
  )

/**
 * The authorization code flow for the Promise API.
 *
 * @example
 * ```ts
 * const { url, pending } = await authorizationCode.begin({ provider, clientId, redirectUri, scopes })
 * // ...redirect to url, keep pending; then on the callback:
 * const user = await authorizationCode.complete({ provider, clientId, clientSecret, pending, callbackUrl })
 * ```
 * @see https://www.rfc-editor.org/rfc/rfc6749#section-4.1
 */
export const authorizationCode = {
  begin,
  /** {@link AuthorizationRequest.seal} for the Promise API. */
  seal: (pending: PendingLogin, key: SealingKey, options?: SealOptions): Promise<string> =>
    runPromise(sealPending(pending, key, options).pipe(Effect.provide(Entropy.layer))),
  /** {@link AuthorizationRequest.unseal} for the Promise API. */
  unseal: (sealed: string, key: SealingKey): Promise<PendingLogin> => runPromise(unsealPending(sealed, key)),
  complete: <Scope extends string, Pending extends PendingLogin>(
    options: CompleteOptions<Scope, Pending> & SecretFor<Pending> & PlatformOptions,
  ): Promise<TokenSource> => {
    const runtime = sourceRuntime(options)
    try {
      const source = launchFlow(runtime, liveClock, runSync(runtime, plan(options)))
      return afterFirstStep(source, source.receiveCallback(options.callbackUrl))
    } catch (error) {
      return Promise.reject(error)
    }
  },
}
