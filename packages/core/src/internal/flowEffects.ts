import * as Clock from "effect/Clock"
import * as Effect from "effect/Effect"
import * as Fiber from "effect/Fiber"
import * as Option from "effect/Option"
import * as Redacted from "effect/Redacted"
import { CredentialStore } from "../CredentialStore.js"
import type { Credentials } from "../Credentials.js"
import { PersistenceError, ReauthenticationRequired } from "../Errors.js"
import type { Obtained } from "../machines/lifecycle.js"
import type { Provider } from "../Provider.js"
import { type ClientCredentials, TokenEndpoint } from "../TokenEndpoint.js"
import type { TokenResponse } from "../TokenResponse.js"
import { renewAtOf, withUnsaved } from "./renewal.js"

/** Called with new credentials before any caller receives them; awaited. */
export type CredentialsListener = (credentials: Credentials) => void | Promise<void>

/** What the actors of one token source work with. */
export interface FlowConfig {
  readonly provider: Provider<string>
  readonly client: ClientCredentials
  readonly scopes: ReadonlyArray<string>
  readonly storeKey: string
  /** True for a default key: no other source can read it, so it is removed when the source stops. */
  readonly privateKey: boolean
  /** The grant this source holds: a stored record of another grant is not its own. */
  readonly grantId: string
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

/** The next credentials of this grant: its id, and a revision above the one they renew. */
const stamp = (config: FlowConfig, obtained: Obtained, base: Credentials | undefined): Obtained => ({
  obtainedAt: obtained.obtainedAt,
  credentials: {
    ...obtained.credentials,
    grantId: config.grantId,
    revision: base === undefined ? 0 : (base.revision ?? 0) + 1,
  },
})

/**
 * Runs `effect` to its end even when the caller is interrupted (the source stopped): the caller
 * then waits for it. Unlike `Effect.uninterruptible`, the request's own timeout still works.
 */
export const runToEnd = <A, E, R>(effect: Effect.Effect<A, E, R>): Effect.Effect<A, E, R> =>
  Effect.flatMap(Effect.forkDaemon(effect), (fiber) =>
    Effect.onInterrupt(Fiber.join(fiber), () => Fiber.await(fiber)),
  )

/** True when a stored record belongs to this source's grant. */
const isOwn = (config: FlowConfig, stored: Credentials | undefined): stored is Credentials =>
  stored !== undefined && stored.grantId === config.grantId

/**
 * True when a renewal may write the key: it is free, this grant's, or holds a record saved before
 * grants had ids (which would otherwise stay there forever).
 */
const mayWrite = (config: FlowConfig, stored: Credentials | undefined): boolean =>
  stored === undefined || stored.grantId === undefined || isOwn(config, stored)

/** True when `stored` is a later state of the same grant than `held`. */
const isNewer = (config: FlowConfig, stored: Credentials | undefined, held: Credentials | undefined) =>
  isOwn(config, stored) && (held?.grantId !== config.grantId || (stored.revision ?? 0) > (held.revision ?? 0))

/**
 * Saves to the store, then tells the app; on failure the error carries the unsaved credentials.
 * The store is written only when `write` says the key is this grant's (or free): a renewal never
 * overwrites the record of another login that took the key.
 */
export const save = (config: FlowConfig, obtained: Obtained, write = true) =>
  Effect.gen(function* () {
    const store = yield* CredentialStore
    if (write) yield* store.set(config.storeKey, obtained.credentials)
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
 * The `renew` actor: inside the store's lock for this key, re-read the store; if another holder
 * of this grant renewed already, adopt its credentials; otherwise request a token, save it and
 * tell the app, all before the machine hands it to any caller. Once the request is sent, request
 * and save run to the end even if the source is stopped: the server may have rotated the refresh
 * token, and the new one must not be lost.
 */
export const renew = (config: FlowConfig) => (input: { readonly credentials: Credentials | undefined }) =>
  Effect.gen(function* () {
    const store = yield* CredentialStore
    return yield* store.withLock(
      config.storeKey,
      Effect.gen(function* () {
        const now = yield* Clock.currentTimeMillis
        const stored = Option.getOrUndefined(yield* store.get(config.storeKey))
        const newer = isNewer(config, stored, input.credentials)
        if (newer) {
          const fromStore = { credentials: stored!, obtainedAt: now }
          const renewAt = renewAtOf(fromStore, config.marginMs)
          if (renewAt === undefined || now < renewAt) return fromStore
        }
        // The store holds the newest refresh token when another holder of this grant rotated it.
        const base = newer ? stored : input.credentials
        return yield* runToEnd(
          Effect.gen(function* () {
            const response = yield* requestGrant(config, base).pipe(
              // The dead credentials leave the store (only this grant's); failing to remove them
              // must not hide why.
              Effect.tapErrorTag("ReauthenticationRequired", () =>
                isOwn(config, stored) ? Effect.ignore(store.remove(config.storeKey)) : Effect.void,
              ),
            )
            const obtained = stamp(config, toObtained(response, base, config.scopes), base)
            yield* save(config, obtained, mayWrite(config, stored))
            return obtained
          }),
        )
      }),
    )
  })

/**
 * The `persist` actor: saves credentials that a renewal obtained but could not save. Inside the
 * lock it re-reads the store and never goes backwards: when another holder of this grant saved
 * later credentials meanwhile, those are adopted (and offered to the hook) instead.
 */
export const persist = (config: FlowConfig) => (obtained: Obtained) =>
  Effect.gen(function* () {
    const store = yield* CredentialStore
    return yield* store.withLock(
      config.storeKey,
      Effect.gen(function* () {
        const stored = Option.getOrUndefined(yield* store.get(config.storeKey))
        if (isNewer(config, stored, obtained.credentials)) {
          const later = { credentials: stored!, obtainedAt: yield* Clock.currentTimeMillis }
          yield* save(config, later, false)
          return later
        }
        yield* save(config, obtained, mayWrite(config, stored))
        return obtained
      }),
    )
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
      return yield* saveNewGrant(config, response)
    }).pipe(runToEnd)

/**
 * The credentials of a grant just obtained (a code exchanged, a device code approved), saved.
 * A new login takes the key, whatever it held: the same user logging in again.
 */
export const saveNewGrant = (config: FlowConfig, response: TokenResponse) =>
  Effect.gen(function* () {
    const obtained = stamp(config, toObtained(response, undefined, config.scopes), undefined)
    const store = yield* CredentialStore
    yield* store.withLock(config.storeKey, save(config, obtained))
    return obtained
  })

/**
 * The `revoke` actor: RFC 7009 revocation of the refresh token (which ends the grant), else the
 * access token, where the provider has an endpoint; the store forgets this grant's record either way
 * (a record of another grant under the same key stays).
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
    Effect.ensuring(
      Effect.flatMap(CredentialStore, (store) =>
        Effect.ignore(
          store.withLock(
            config.storeKey,
            Effect.flatMap(store.get(config.storeKey), (stored) =>
              isOwn(config, Option.getOrUndefined(stored)) ? store.remove(config.storeKey) : Effect.void,
            ),
          ),
        ),
      ),
    ),
  )

/**
 * Run when a source has stopped: a record under a private key can never be read again, so it
 * leaves a shared store (a server's memory store would otherwise grow with every login).
 */
export const forgetPrivateRecord = (config: FlowConfig) =>
  config.privateKey
    ? Effect.flatMap(CredentialStore, (store) => Effect.ignore(store.remove(config.storeKey)))
    : Effect.void
