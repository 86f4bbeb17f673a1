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
import { ConfigError } from "./Errors.js"
import { generatePkce, generateState } from "./Pkce.js"
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

/**
 * A login between the redirect to the server and its callback: plain JSON, so it survives in a
 * cookie, a server session or sessionStorage. It holds the PKCE verifier, so keep it where
 * scripts cannot read it (an HttpOnly cookie, a server session) or in the tab's sessionStorage.
 *
 * @see https://www.rfc-editor.org/rfc/rfc9700#section-4.7.1
 */
export const PendingLogin = Schema.Struct({
  /** Format version, so a stored pending login from an older release is recognised. */
  version: Schema.Literal(1),
  state: Schema.String,
  codeVerifier: Schema.optional(Schema.String),
  redirectUri: Schema.String,
  /** The issuer the callback's `iss` must name (RFC 9207). */
  issuer: Schema.optional(Schema.String),
  scopes: Schema.Array(Schema.String),
  /** Epoch milliseconds, from the Clock service. */
  createdAt: Schema.Number,
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
