/**
 * The processing step for token and revocation endpoint responses: wire schemas (snake_case, as
 * RFC 6749 names them), the domain `TokenResponse`, and the status handling both endpoints share.
 *
 * @module
 */
import type * as HttpClientResponse from "@effect/platform/HttpClientResponse"
import * as Clock from "effect/Clock"
import * as Effect from "effect/Effect"
import * as Either from "effect/Either"
import * as Option from "effect/Option"
import * as ParseResult from "effect/ParseResult"
import * as Predicate from "effect/Predicate"
import * as Redacted from "effect/Redacted"
import * as Schema from "effect/Schema"
import {
  type MalformedReason,
  MalformedResponse,
  type OAuthEndpoint,
  OAuthError,
  RateLimited,
  TransportError,
} from "./Errors.js"
import { describeUrl, discardBody, readJsonBody, readTextBody } from "./internal/responseBody.js"
import { sanitizeServerText } from "./internal/serverText.js"

// Some servers send `expires_in` as a string ("3600"); the value still has to be a sane duration.
const ExpiresIn = Schema.Union(Schema.Number, Schema.NumberFromString).pipe(
  Schema.finite(),
  Schema.nonNegative(),
)

// An access token travels as `Authorization: Bearer <token>`: whitespace or a control character
// would split or forge the header, and non-ASCII cannot be sent at all. Printable ASCII outside
// RFC 6750's b64token is allowed: real providers issue tokens with `|`, `!` or `$` in them.
const AccessToken = Schema.NonEmptyString.pipe(Schema.pattern(/^[\x21-\x7E]+$/))

/**
 * The longest lifetime grantflow believes, in seconds (one year). A larger `expires_in` (servers
 * have sent `1e308`) is capped: the resulting `expiresAt` must stay a finite number that survives
 * JSON, and a credential held a year is due a renewal anyway.
 *
 * @see https://www.rfc-editor.org/rfc/rfc6749#section-5.1
 */
export const maxExpiresInSeconds = 365 * 24 * 60 * 60

/**
 * A successful token response as it is on the wire. Strict where it matters (a non-empty
 * `access_token` of printable ASCII), lenient where servers misbehave (`expires_in` as a string,
 * `null` for absent members); unknown members are ignored.
 *
 * @see https://www.rfc-editor.org/rfc/rfc6749#section-5.1
 */
export const TokenResponseWire = Schema.Struct({
  access_token: AccessToken,
  token_type: Schema.String,
  expires_in: Schema.optionalWith(ExpiresIn, { nullable: true }),
  refresh_token: Schema.optionalWith(Schema.String, { nullable: true }),
  scope: Schema.optionalWith(Schema.String, { nullable: true }),
  id_token: Schema.optionalWith(Schema.String, { nullable: true }),
})

/**
 * An error response of the token endpoint (and of the revocation endpoint, which reuses it).
 *
 * @see https://www.rfc-editor.org/rfc/rfc6749#section-5.2
 * @see https://www.rfc-editor.org/rfc/rfc7009#section-2.2.1
 */
export const ErrorResponseWire = Schema.Struct({
  error: Schema.NonEmptyString,
  error_description: Schema.optionalWith(Schema.String, { nullable: true }),
  error_uri: Schema.optionalWith(Schema.String, { nullable: true }),
})

/**
 * A decoded token response. Tokens are `Redacted`; `receivedAt` (epoch ms from the Clock) anchors
 * `expiresIn`, which is in seconds.
 *
 * @see https://www.rfc-editor.org/rfc/rfc6749#section-5.1
 */
export interface TokenResponse {
  readonly accessToken: Redacted.Redacted<string>
  /** Always `Bearer`: other token types are refused (RFC 6749 §7.1), whatever the server's case. */
  readonly tokenType: string
  /**
   * Seconds, at most {@link maxExpiresInSeconds}. Absent when the server gave none, and when it
   * gave `0`: a token that expires as it arrives would make every call a token request, so it is
   * used until the resource server refuses it (`TokenSource.fetch` renews on a 401).
   */
  readonly expiresIn?: number | undefined
  readonly refreshToken?: Redacted.Redacted<string> | undefined
  /** The granted scopes when the server listed them; absent means "as requested" (RFC 6749 §3.3). */
  readonly scopes?: ReadonlyArray<string> | undefined
  readonly idToken?: string | undefined
  readonly receivedAt: number
}

/**
 * Parses Retry-After: delta seconds, or an HTTP-date taken relative to `nowMs`. Anything else is
 * `undefined`, so a garbled header means "no advice", never "retry now".
 *
 * @see https://www.rfc-editor.org/rfc/rfc9110#section-10.2.3
 */
export const parseRetryAfter = (value: string | undefined, nowMs: number): number | undefined => {
  if (value === undefined) return undefined
  const trimmed = value.trim()
  if (/^\d+$/.test(trimmed)) return Number(trimmed) * 1000
  // Every HTTP-date names a month; this keeps Date.parse's leniency ("-1", "1.5") out.
  if (!/[a-z]/i.test(trimmed)) return undefined
  const date = Date.parse(trimmed)
  return Number.isNaN(date) ? undefined : Math.max(0, date - nowMs)
}

/**
 * What the processing step needs to know of the request: the secret values it carried (client
 * secret, code, verifier, refresh or revoked token), so that server text echoing them never
 * reaches an error message.
 */
export interface ProcessOptions {
  readonly secrets?: ReadonlyArray<string> | undefined
}

/**
 * Processes a token endpoint response into a {@link TokenResponse} or the error it stands for.
 *
 * @see https://www.rfc-editor.org/rfc/rfc6749#section-5.1
 * @see https://www.rfc-editor.org/rfc/rfc6749#section-5.2
 * @see https://www.rfc-editor.org/rfc/rfc6749#section-7.1 (only Bearer is accepted)
 */
export const processTokenResponse = (
  response: HttpClientResponse.HttpClientResponse,
  options: ProcessOptions = {},
): Effect.Effect<TokenResponse, OAuthError | RateLimited | TransportError | MalformedResponse> => {
  const secrets = options.secrets ?? []
  if (response.status !== 200) return processErrorStatus(response, "token", secrets)
  const source = "token endpoint"
  return Effect.gen(function* () {
    const receivedAt = yield* Clock.currentTimeMillis
    const body = yield* readJsonBody(response, source, describeUrl(response.request.url))
    // Some servers answer 200 with an error body; it is an error all the same.
    const error = decodeErrorResponse(body)
    if (error !== undefined) return yield* oauthError(error, "token", response.status, secrets)
    const malformed = (reason: MalformedReason, fields?: ReadonlyArray<string>) =>
      new MalformedResponse({ reason, source, status: response.status, fields })
    const wire = decodeTokenResponseWire(body)
    if (Either.isLeft(wire)) {
      const fields = failingPaths(wire.left)
      return yield* hasUnusableAccessToken(body)
        ? malformed("UnusableAccessToken", ["access_token"])
        : malformed("InvalidTokenResponse", fields)
    }
    // A MAC or DPoP token sent as Bearer would be refused at best, and leaked at worst.
    if (wire.right.token_type.toLowerCase() !== "bearer") {
      return yield* malformed("UnsupportedTokenType", ["token_type"])
    }
    return toTokenResponse(wire.right, receivedAt)
  })
}

const hasUnusableAccessToken = (body: unknown): boolean =>
  Predicate.hasProperty(body, "access_token") &&
  typeof body.access_token === "string" &&
  body.access_token !== "" &&
  !Schema.is(AccessToken)(body.access_token)

/**
 * Processes a revocation endpoint response: any 2xx means revoked (the body is ignored), errors
 * as at the token endpoint, with 503 and Retry-After left to the retry policy.
 *
 * @see https://www.rfc-editor.org/rfc/rfc7009#section-2.2
 * @see https://www.rfc-editor.org/rfc/rfc7009#section-2.2.1
 */
export const processRevocationResponse = (
  response: HttpClientResponse.HttpClientResponse,
  options: ProcessOptions = {},
): Effect.Effect<void, OAuthError | RateLimited | TransportError | MalformedResponse> =>
  response.status >= 200 && response.status < 300
    ? discardBody(response)
    : processErrorStatus(response, "revocation", options.secrets ?? [])

const decodeTokenResponseWire = Schema.decodeUnknownEither(TokenResponseWire, { errors: "all" })

const decodeErrorResponseWire = Schema.decodeUnknownOption(ErrorResponseWire)

type ErrorResponse = typeof ErrorResponseWire.Type

/** A usable `error` code is enough: a malformed description must not hide `invalid_grant`. */
const decodeErrorResponse = (body: unknown): ErrorResponse | undefined => {
  if (!Predicate.hasProperty(body, "error") || typeof body.error !== "string" || body.error === "")
    return undefined
  const error = body.error
  return Option.getOrElse(decodeErrorResponseWire(body), () => ({ error }))
}

/**
 * Server text goes into the error sanitized: a server that echoes the request would otherwise put
 * the client secret or the refresh token in a message that ends up in a log.
 */
const oauthError = (
  wire: ErrorResponse,
  endpoint: OAuthEndpoint,
  status: number,
  secrets: ReadonlyArray<string>,
): OAuthError =>
  new OAuthError({
    endpoint,
    error: sanitizeServerText(wire.error, secrets, 100),
    errorDescription:
      wire.error_description === undefined ? undefined : sanitizeServerText(wire.error_description, secrets),
    errorUri: wire.error_uri === undefined ? undefined : sanitizeServerText(wire.error_uri, secrets),
    status,
  })

// RFC 6749 §5.2 and RFC 7009 §2.2.1 codes, recognised in bodies that are not JSON.
const knownErrorCode =
  /\b(invalid_request|invalid_client|invalid_grant|unauthorized_client|unsupported_grant_type|invalid_scope|unsupported_token_type)\b/

/**
 * An error body in whatever shape the server chose: JSON as RFC 6749 says, form-encoded (servers
 * answering in the request's media type), or plain text naming a registered code. Only the code
 * is taken from plain text: the rest of it is not meant for the client.
 */
const parseErrorBody = (text: string): ErrorResponse | undefined => {
  try {
    return decodeErrorResponse(JSON.parse(text))
  } catch {
    const form = decodeErrorResponse(Object.fromEntries(new URLSearchParams(text.trim())))
    if (form !== undefined && errorCode.test(form.error)) return form
    const code = knownErrorCode.exec(text)?.[1]
    return code === undefined ? undefined : { error: code }
  }
}

// RFC 6749 §5.2: error = 1*( %x20-21 / %x23-5B / %x5D-7E ).
const errorCode = /^[\x20\x21\x23-\x5B\x5D-\x7E]+$/

/**
 * Processes a non-200 answer of an endpoint that speaks RFC 6749 §5.2 errors (token, revocation,
 * device authorization): 429 is `RateLimited`, an OAuth error body an `OAuthError`, else the status.
 *
 * @see https://www.rfc-editor.org/rfc/rfc6749#section-5.2
 */
export const processErrorStatus = (
  response: HttpClientResponse.HttpClientResponse,
  endpoint: OAuthEndpoint,
  secrets: ReadonlyArray<string>,
): Effect.Effect<never, OAuthError | RateLimited | TransportError | MalformedResponse> =>
  Effect.gen(function* () {
    const { status } = response
    const source = `${endpoint} endpoint`
    const url = describeUrl(response.request.url)
    const now = yield* Clock.currentTimeMillis
    const retryAfterMs = parseRetryAfter(response.headers["retry-after"], now)
    if (status === 429) {
      yield* discardBody(response)
      return yield* new RateLimited({ retryAfterMs })
    }
    if (status >= 500) {
      // A broken or unreadable 5xx body is still a 5xx: the status is the useful part.
      const body = yield* Effect.option(readTextBody(response, source, url))
      const wire = Option.flatMap(body, (text) => Option.fromNullable(parseErrorBody(text)))
      if (Option.isSome(wire)) return yield* oauthError(wire.value, endpoint, status, secrets)
      return yield* new TransportError({ reason: "ServerError", url, status, retryAfterMs })
    }
    if (status >= 400) {
      const wire = parseErrorBody(yield* readTextBody(response, source, url))
      if (wire !== undefined) return yield* oauthError(wire, endpoint, status, secrets)
      return yield* new MalformedResponse({ reason: "InvalidErrorResponse", source, status })
    }
    yield* discardBody(response)
    return yield* new MalformedResponse({
      reason: status >= 300 && status < 400 ? "Redirected" : "UnexpectedStatus",
      source,
      status,
    })
  })

/** The paths of the failing members, never the messages: Schema's messages quote the values. */
const failingPaths = (error: ParseResult.ParseError): ReadonlyArray<string> | undefined => {
  const paths = ParseResult.ArrayFormatter.formatErrorSync(error)
    .map((issue) => issue.path.map(String).join("."))
    .filter((path) => path !== "")
  return paths.length === 0 ? undefined : [...new Set(paths)]
}

const toTokenResponse = (wire: typeof TokenResponseWire.Type, receivedAt: number): TokenResponse => ({
  accessToken: Redacted.make(wire.access_token),
  tokenType: "Bearer",
  ...(wire.expires_in === undefined || wire.expires_in === 0
    ? {}
    : { expiresIn: Math.min(wire.expires_in, maxExpiresInSeconds) }),
  // An empty refresh token would overwrite the stored one with nothing: treat it as absent.
  ...(wire.refresh_token === undefined || wire.refresh_token === ""
    ? {}
    : { refreshToken: Redacted.make(wire.refresh_token) }),
  ...(wire.scope === undefined ? {} : { scopes: wire.scope.split(" ").filter((scope) => scope !== "") }),
  ...(wire.id_token === undefined ? {} : { idToken: wire.id_token }),
  receivedAt,
})
