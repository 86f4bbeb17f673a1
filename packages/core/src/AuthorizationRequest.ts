/**
 * The front-channel request that sends the user to the authorization server, and the pending
 * login that must survive until the callback comes back.
 *
 * @module
 */
import * as Clock from "effect/Clock"
import * as Effect from "effect/Effect"
import * as Either from "effect/Either"
import * as Schema from "effect/Schema"
import type { Entropy } from "./Entropy.js"
import { ConfigError, InvalidPendingLogin } from "./Errors.js"
import { openText, sealingKeyOf, sealText, type WebCryptoKey } from "./internal/sealing.js"
import { generatePkce, generateState, verifierPattern } from "./Pkce.js"
import type { AuthorizationParams, Provider } from "./Provider.js"

/** Values an extra authorization parameter may take; they are sent as strings. */
export type ParamValue = string | number | boolean

/** Parameters grantflow sets itself; `params` may not override them. */
export const reservedParams: ReadonlySet<string> = new Set([
  "response_type",
  "client_id",
  "redirect_uri",
  "scope",
  "state",
  "code_challenge",
  "code_challenge_method",
])

/** What {@link buildAuthorizationUrl} needs. */
export interface AuthorizationUrlOptions<Scope extends string = string> {
  readonly provider: Provider<Scope>
  readonly clientId: string
  readonly redirectUri: string
  readonly scopes?: ReadonlyArray<NoInfer<Scope>> | undefined
  readonly state: string
  /** The S256 challenge; omitted only for confidential clients that opt out of PKCE. */
  readonly codeChallenge?: string | undefined
  /** Extra parameters, such as Spotify's `show_dialog`. */
  readonly params?: Readonly<Record<string, ParamValue>> | undefined
}

/**
 * Builds the authorization request URL. The endpoint's own query is kept (RFC 6749 §3.1) and no
 * parameter is sent twice: a clash with it, or an extra parameter that would override one of
 * grantflow's, is a {@link ConfigError}.
 *
 * @see https://www.rfc-editor.org/rfc/rfc6749#section-4.1.1
 * @see https://www.rfc-editor.org/rfc/rfc7636#section-4.3
 */
export const buildAuthorizationUrl = <Scope extends string>(
  options: AuthorizationUrlOptions<Scope>,
): Either.Either<URL, ConfigError> => {
  const fail = (reason: string) => Either.left(new ConfigError({ reason }))
  if (options.provider.authorizationEndpoint.includes("#")) {
    return fail("the authorization endpoint must not contain a fragment (RFC 6749 §3.1).")
  }
  const redirect = parseAbsolute(options.redirectUri)
  if (redirect === undefined) return fail("redirectUri must be an absolute URL.")
  if (options.redirectUri.includes("#"))
    return fail("redirectUri must not contain a fragment (RFC 6749 §3.1.2).")
  if (options.clientId === "") return fail("clientId must not be empty.")
  const url = new URL(options.provider.authorizationEndpoint)
  const ours: Array<[string, string]> = [
    ["response_type", "code"],
    ["client_id", options.clientId],
    ["redirect_uri", options.redirectUri],
  ]
  if (options.scopes !== undefined && options.scopes.length > 0)
    ours.push(["scope", options.scopes.join(" ")])
  ours.push(["state", options.state])
  if (options.codeChallenge !== undefined) {
    ours.push(["code_challenge", options.codeChallenge], ["code_challenge_method", "S256"])
  }
  for (const [name, value] of Object.entries(options.params ?? {})) {
    if (reservedParams.has(name)) return fail(`params.${name} is set by grantflow and cannot be overridden.`)
    ours.push([name, String(value)])
  }
  for (const [name, value] of ours) {
    if (url.searchParams.has(name)) {
      return fail(
        `the authorization endpoint's query already has \`${name}\`; a parameter must not be sent twice.`,
      )
    }
    url.searchParams.append(name, value)
  }
  return Either.right(url)
}

const parseAbsolute = (value: string): URL | undefined => {
  try {
    return new URL(value)
  } catch {
    return undefined
  }
}

/** The `state` the core generates: 32 random bytes in base64url, 43 characters. */
export const statePattern = /^[A-Za-z0-9_-]{43}$/

// A scope token (RFC 6749 §3.3): printable ASCII but space, `"` and `\`.
const scopeToken = /^[\x21\x23-\x5B\x5D-\x7E]{1,256}$/

const isAbsoluteWithoutFragment = (value: string): boolean =>
  value.length <= 2048 && !value.includes("#") && parseAbsolute(value) !== undefined

/**
 * A login between the redirect to the server and its callback: plain JSON, so it survives in a
 * cookie, a server session or sessionStorage. It holds the PKCE verifier, so keep it where
 * scripts cannot read it (an HttpOnly cookie, a server session) or in the tab's sessionStorage;
 * in a cookie, keep it {@link seal}ed so it cannot be planted or altered. It is decoded as
 * untrusted input: `state` and the verifier must have the shape the core generates.
 *
 * @see https://www.rfc-editor.org/rfc/rfc9700#section-4.7.1
 */
export const PendingLogin = Schema.Struct({
  /** Format version, so a stored pending login from an older release is recognised. */
  version: Schema.Literal(1),
  state: Schema.String.pipe(Schema.pattern(statePattern)),
  codeVerifier: Schema.optional(Schema.String.pipe(Schema.pattern(verifierPattern))),
  redirectUri: Schema.String.pipe(Schema.filter(isAbsoluteWithoutFragment)),
  /** The issuer the callback's `iss` must name (RFC 9207); it must be the provider's. */
  issuer: Schema.optional(Schema.String),
  scopes: Schema.Array(Schema.String.pipe(Schema.pattern(scopeToken))).pipe(Schema.maxItems(100)),
  /** Epoch milliseconds, from the Clock service. */
  createdAt: Schema.Int.pipe(Schema.nonNegative()),
})

/** @see {@link PendingLogin} */
export interface PendingLogin extends Schema.Schema.Type<typeof PendingLogin> {}

/** Decodes a pending login read back from storage; anything else is a typed ParseError. */
export const decodePendingLogin = Schema.decodeUnknown(PendingLogin)

/** A pending login with a PKCE verifier: its callback may be completed without a client secret. */
export type PkcePendingLogin = PendingLogin & { readonly codeVerifier: string }

/** A pending login without PKCE (`pkce: false`): only a confidential client can complete it. */
export type SecretPendingLogin = PendingLogin & { readonly codeVerifier?: undefined }

/** The pending login `begin` returns for its `pkce` option. */
export type PendingLoginFor<Pkce extends boolean | undefined> = [Pkce] extends [false]
  ? SecretPendingLogin
  : [Pkce] extends [true | undefined]
    ? PkcePendingLogin
    : PendingLogin

/** How long a pending login may wait for its callback by default: 10 minutes. */
export const defaultPendingMaxAgeMs = 600_000

// Clocks of two instances behind one load balancer may disagree a little.
const allowedClockSkewMs = 60_000

/** What a pending login is checked against before its callback is looked at. */
export interface PendingExpectation {
  readonly provider: Pick<Provider<string>, "issuer">
  /** Defaults to {@link defaultPendingMaxAgeMs}. */
  readonly maxAgeMs?: number | undefined
}

/**
 * Decodes and checks a pending login as the untrusted input it is: its shape, its issuer (the
 * provider's, so a pending from server A never sends A's code to B), and its age.
 *
 * @see https://www.rfc-editor.org/rfc/rfc9700#section-4.4
 * @see https://www.rfc-editor.org/rfc/rfc9700#section-4.7.1
 */
export const validatePendingLogin = (
  input: unknown,
  expected: PendingExpectation,
): Effect.Effect<PendingLogin, InvalidPendingLogin | ConfigError> =>
  Effect.gen(function* () {
    const maxAgeMs = expected.maxAgeMs ?? defaultPendingMaxAgeMs
    if (!Number.isFinite(maxAgeMs) || maxAgeMs <= 0) {
      return yield* new ConfigError({ reason: "pendingMaxAgeMs must be a positive number." })
    }
    const pending = yield* decodePendingLogin(input).pipe(
      Effect.mapError(() => new InvalidPendingLogin({ reason: "Malformed" })),
    )
    if (pending.issuer !== expected.provider.issuer) {
      return yield* new InvalidPendingLogin({ reason: "IssuerMismatch" })
    }
    const now = yield* Clock.currentTimeMillis
    if (pending.createdAt > now + allowedClockSkewMs) {
      return yield* new InvalidPendingLogin({ reason: "Malformed" })
    }
    if (now - pending.createdAt > maxAgeMs) return yield* new InvalidPendingLogin({ reason: "Expired" })
    return pending
  })

/** What {@link begin} needs. */
export interface BeginOptions<
  Scope extends string = string,
  Params extends AuthorizationParams = AuthorizationParams,
  Pkce extends boolean | undefined = boolean | undefined,
> {
  readonly provider: Provider<Scope, Params>
  readonly clientId: string
  readonly redirectUri: string
  readonly scopes?: ReadonlyArray<NoInfer<Scope>> | undefined
  /** Defaults to `true`: RFC 9700 §2.1.1 recommends PKCE for confidential clients too. */
  readonly pkce?: Pkce
  /** Extra parameters the provider understands, such as Spotify's `show_dialog`. */
  readonly params?: NoInfer<Params> | undefined
}

/**
 * Starts a login: a fresh `state` (256 bits) and PKCE pair, the authorization URL, and the
 * pending login to keep until the callback.
 *
 * @see https://www.rfc-editor.org/rfc/rfc6749#section-4.1.1
 * @see https://www.rfc-editor.org/rfc/rfc7636#section-4
 */
export const begin = <
  Scope extends string,
  Params extends AuthorizationParams,
  const Pkce extends boolean | undefined = undefined,
>(
  options: BeginOptions<Scope, Params, Pkce>,
): Effect.Effect<{ readonly url: string; readonly pending: PendingLoginFor<Pkce> }, ConfigError, Entropy> =>
  Effect.gen(function* () {
    const state = yield* generateState
    const pkce = options.pkce === false ? undefined : yield* generatePkce()
    const url = yield* buildAuthorizationUrl({
      provider: options.provider,
      clientId: options.clientId,
      redirectUri: options.redirectUri,
      scopes: options.scopes,
      state,
      codeChallenge: pkce?.challenge,
      params: options.params,
    })
    const createdAt = yield* Clock.currentTimeMillis
    const pending: PendingLogin = {
      version: 1,
      state,
      redirectUri: options.redirectUri,
      scopes: [...(options.scopes ?? [])],
      createdAt,
      ...(pkce === undefined ? {} : { codeVerifier: pkce.verifier }),
      ...(options.provider.issuer === undefined ? {} : { issuer: options.provider.issuer }),
    }
    return { url: url.href, pending: pending as PendingLoginFor<Pkce> }
  })

export type { WebCryptoKey }

/** A key for {@link seal}: an AES-GCM `CryptoKey`, or a secret of at least 32 characters. */
export type SealingKey = WebCryptoKey | string

/** Options of {@link seal}. */
export interface SealOptions {
  /** How long the sealed login stays valid after `createdAt`; defaults to 10 minutes. */
  readonly maxAgeMs?: number | undefined
}

const Sealed = Schema.Struct({ expiresAt: Schema.Number, pending: PendingLogin })
const encodeSealed = Schema.encode(Schema.parseJson(Sealed))
const decodeSealed = Schema.decodeUnknown(Schema.parseJson(Sealed))

/**
 * Seals a pending login for a cookie: AES-256-GCM through WebCrypto, so it is confidential (the
 * verifier stays secret), tamper-proof (a login planted or altered by someone without the key is
 * refused: no login CSRF) and expiring (its expiry is inside). The output is base64url.
 *
 * @see https://www.rfc-editor.org/rfc/rfc9700#section-4.7.1
 * @see https://www.rfc-editor.org/rfc/rfc5869
 */
export const seal = (
  pending: PendingLogin,
  key: SealingKey,
  options: SealOptions = {},
): Effect.Effect<string, ConfigError | InvalidPendingLogin, Entropy> =>
  Effect.gen(function* () {
    const maxAgeMs = options.maxAgeMs ?? defaultPendingMaxAgeMs
    if (!Number.isFinite(maxAgeMs) || maxAgeMs <= 0) {
      return yield* new ConfigError({ reason: "maxAgeMs must be a positive number." })
    }
    const plaintext = yield* encodeSealed({ expiresAt: pending.createdAt + maxAgeMs, pending }).pipe(
      Effect.mapError(() => new InvalidPendingLogin({ reason: "Malformed" })),
    )
    return yield* sealText(plaintext, yield* sealingKeyOf(key))
  })

/**
 * Opens a login sealed by {@link seal}: anything altered, sealed with another key, or past its
 * expiry (by the Clock service) is an {@link InvalidPendingLogin}.
 *
 * @see https://www.rfc-editor.org/rfc/rfc9700#section-4.7.1
 */
export const unseal = (
  sealed: string,
  key: SealingKey,
): Effect.Effect<PendingLogin, InvalidPendingLogin | ConfigError> =>
  Effect.gen(function* () {
    const plaintext = yield* openText(sealed, yield* sealingKeyOf(key))
    const { expiresAt, pending } = yield* decodeSealed(plaintext).pipe(
      Effect.mapError(() => new InvalidPendingLogin({ reason: "Malformed" })),
    )
    if ((yield* Clock.currentTimeMillis) >= expiresAt) {
      return yield* new InvalidPendingLogin({ reason: "Expired" })
    }
    return pending
  })
