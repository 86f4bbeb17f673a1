import * as Clock from "effect/Clock"
import * as Effect from "effect/Effect"
import * as Option from "effect/Option"
import * as Redacted from "effect/Redacted"
import { CredentialStore } from "../CredentialStore.js"
import type { Credentials } from "../Credentials.js"
import { PersistenceError, ReauthenticationRequired } from "../Errors.js"
import { type Obtained, renewAtOf, withUnsaved } from "../machines/lifecycle.js"
import type { Provider } from "../Provider.js"
import { type ClientCredentials, TokenEndpoint } from "../TokenEndpoint.js"
import type { TokenResponse } from "../TokenResponse.js"

/** Called with new credentials before any caller receives them; awaited. */
export type CredentialsListener = (credentials: Credentials) => void | Promise<void>

/** What the actors of one token source work with. */
export interface FlowConfig {
  readonly provider: Provider<string>
  readonly client: ClientCredentials
  readonly scopes: ReadonlyArray<string>
  readonly storeKey: string
  readonly marginMs: number
  /** How renewal gets a token: the client's own grant, or the refresh token. */
  readonly renewsWith: "client_credentials" | "refresh_token"
  readonly onCredentialsRefreshed?: CredentialsListener | undefined
}

/**
 * A public client has no secret to present, whatever the provider's method for confidential
 * clients is (Spotify's preset says Basic; its PKCE clients send only `client_id`).
 */
export const effectiveProvider = (provider: Provider<string>, client: ClientCredentials): Provider<string> =>
  client.clientSecret === undefined && provider.tokenEndpointAuthMethod !== "none"
    ? { ...provider, tokenEndpointAuthMethod: "none" }
    : provider

/**
 * Credentials from a token response. A refresh response without `refresh_token` keeps the
 * previous one (RFC 6749 §6 lets the server omit it); absent `scope` means "as requested" (§5.1).
 */
export const toObtained = (
  response: TokenResponse,
  previous: Credentials | undefined,
  requestedScopes: ReadonlyArray<string>,
): Obtained => {
  const refreshToken =
    response.refreshToken === undefined ? previous?.refreshToken : Redacted.value(response.refreshToken)
  const credentials: Credentials = {
    accessToken: Redacted.value(response.accessToken),
    tokenType: response.tokenType,
    scopes: [...(response.scopes ?? previous?.scopes ?? requestedScopes)],
    ...(response.expiresIn === undefined
      ? {}
      : { expiresAt: response.receivedAt + response.expiresIn * 1000 }),
    ...(refreshToken === undefined ? {} : { refreshToken }),
  }
  return { credentials, obtainedAt: response.receivedAt }
}

/** Saves to the store, then tells the app; on failure the error carries the unsaved credentials. */
export const save = (config: FlowConfig, obtained: Obtained) =>
  Effect.gen(function* () {
    const store = yield* CredentialStore
    yield* store.set(config.storeKey, obtained.credentials)
    const listener = config.onCredentialsRefreshed
    if (listener !== undefined) {
      yield* Effect.tryPromise({
        try: async () => listener(obtained.credentials),
        catch: (cause) => new PersistenceError({ reason: "Hook", cause }),
      })
    }
  }).pipe(Effect.mapError((error) => withUnsaved(error, obtained)))

const requestGrant = (config: FlowConfig, base: Credentials | undefined) =>
  Effect.gen(function* () {
    const endpoint = yield* TokenEndpoint
    const provider = effectiveProvider(config.provider, config.client)
    if (config.renewsWith === "client_credentials") {
      return yield* endpoint.request({
        provider,
        client: config.client,
        grant: { type: "client_credentials", scopes: config.scopes },
      })
    }
    if (base?.refreshToken === undefined)
      return yield* new ReauthenticationRequired({ reason: "NoRefreshToken" })
    return yield* endpoint
      .request({
        provider,
        client: config.client,
        grant: { type: "refresh_token", refreshToken: Redacted.make(base.refreshToken) },
      })
      .pipe(
        Effect.catchIf(
          (error) => error._tag === "OAuthError" && error.error === "invalid_grant",
          () => Effect.fail(new ReauthenticationRequired({ reason: "InvalidGrant" })),
        ),
      )
  })

/**
 * The `renew` actor: inside the store's lock for this key, re-read the store; if another tab,
 * process or instance renewed already, adopt its credentials; otherwise request a token, save it
 * and tell the app, all before the machine hands it to any caller.
 */
export const renew = (config: FlowConfig) => (input: { readonly credentials: Credentials | undefined }) =>
  Effect.gen(function* () {
    const store = yield* CredentialStore
    return yield* store.withLock(
      config.storeKey,
      Effect.gen(function* () {
        const now = yield* Clock.currentTimeMillis
        const stored = Option.getOrUndefined(yield* store.get(config.storeKey))
        if (stored !== undefined && stored.accessToken !== input.credentials?.accessToken) {
          const fromStore = { credentials: stored, obtainedAt: now }
          const renewAt = renewAtOf(fromStore, config.marginMs)
          if (renewAt === undefined || now < renewAt) return fromStore
        }
        // The store holds the newest refresh token when someone else rotated it.
        const base = stored ?? input.credentials
        const response = yield* requestGrant(config, base).pipe(
          // The dead credentials leave the store; failing to remove them must not hide why.
          Effect.tapErrorTag("ReauthenticationRequired", () => Effect.ignore(store.remove(config.storeKey))),
        )
        const obtained = toObtained(response, base, config.scopes)
        yield* save(config, obtained)
        return obtained
      }),
    )
  })

/** The `persist` actor: saves credentials that a renewal obtained but could not save. */
export const persist = (config: FlowConfig) => (obtained: Obtained) =>
  Effect.gen(function* () {
    const store = yield* CredentialStore
    yield* store.withLock(config.storeKey, save(config, obtained))
  })

/** The `exchangeCode` actor: one authorization code exchange, never retried. */
export const exchangeCode =
  (
    config: FlowConfig,
    redirect: { readonly redirectUri: string; readonly codeVerifier?: string | undefined },
  ) =>
  (input: { readonly code: Redacted.Redacted<string> }) =>
    Effect.gen(function* () {
      const endpoint = yield* TokenEndpoint
      const response = yield* endpoint.request({
        provider: effectiveProvider(config.provider, config.client),
        client: config.client,
        grant: {
          type: "authorization_code",
          code: input.code,
          redirectUri: redirect.redirectUri,
          codeVerifier:
            redirect.codeVerifier === undefined ? undefined : Redacted.make(redirect.codeVerifier),
        },
      })
      const obtained = toObtained(response, undefined, config.scopes)
      const store = yield* CredentialStore
      yield* store.withLock(config.storeKey, save(config, obtained))
      return obtained
    })

/**
 * The `revoke` actor: RFC 7009 revocation of the refresh token (which ends the grant), else the
 * access token, where the provider has an endpoint; the store forgets the key either way.
 */
export const revoke = (config: FlowConfig) => (input: { readonly credentials: Credentials | undefined }) =>
  Effect.gen(function* () {
    const credentials = input.credentials
    if (config.provider.revocationEndpoint === undefined || credentials === undefined) return
    const endpoint = yield* TokenEndpoint
    const provider = effectiveProvider(config.provider, config.client)
    yield* endpoint.revoke(
      credentials.refreshToken === undefined
        ? {
            provider,
            client: config.client,
            token: Redacted.make(credentials.accessToken),
            tokenTypeHint: "access_token",
          }
        : {
            provider,
            client: config.client,
            token: Redacted.make(credentials.refreshToken),
            tokenTypeHint: "refresh_token",
          },
    )
  }).pipe(
    Effect.ensuring(Effect.flatMap(CredentialStore, (store) => Effect.ignore(store.remove(config.storeKey)))),
  )
