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
import { MalformedResponse, type OAuthEndpoint, OAuthError, RateLimited, TransportError } from "./Errors.js"
import { describeUrl, readJsonBody } from "./internal/responseBody.js"

// Some servers send `expires_in` as a string ("3600"); the value still has to be a sane duration.
const ExpiresIn = Schema.Union(Schema.Number, Schema.NumberFromString).pipe(
  Schema.finite(),
  Schema.nonNegative(),
)

/**
 * A successful token response as it is on the wire. Strict where it matters (a non-empty
 * `access_token`), lenient where servers misbehave (`expires_in` as a string, `null` for absent
 * members); unknown members are ignored.
 *
 * @see https://www.rfc-editor.org/rfc/rfc6749#section-5.1
 */
export const TokenResponseWire = Schema.Struct({
  access_token: Schema.NonEmptyString,
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
  /** `Bearer` whatever case the server used; other types as sent. */
  readonly tokenType: string
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
 * Processes a token endpoint response into a {@link TokenResponse} or the error it stands for.
 *
 * @see https://www.rfc-editor.org/rfc/rfc6749#section-5.1
 * @see https://www.rfc-editor.org/rfc/rfc6749#section-5.2
 */
export const processTokenResponse = (
  response: HttpClientResponse.HttpClientResponse,
): Effect.Effect<TokenResponse, OAuthError | RateLimited | TransportError | MalformedResponse> => {
  if (response.status !== 200) return processErrorStatus(response, "token")
  const source = "token endpoint"
  return Effect.gen(function* () {
    const receivedAt = yield* Clock.currentTimeMillis
    const body = yield* readJsonBody(response, source, describeUrl(response.request.url))
    // Some servers answer 200 with an error body; it is an error all the same.
    const error = decodeErrorResponse(body)
    if (error !== undefined) return yield* oauthError(error, "token", response.status)
    const wire = decodeTokenResponseWire(body)
    if (Either.isLeft(wire)) {
      return yield* new MalformedResponse({
        reason: "InvalidTokenResponse",
        source,
        status: response.status,
        fields: failingPaths(wire.left),
      })
    }
    return toTokenResponse(wire.right, receivedAt)
  })
}

/**
 * Processes a revocation endpoint response: any 2xx means revoked (the body is ignored), errors
 * as at the token endpoint, with 503 and Retry-After left to the retry policy.
 *
 * @see https://www.rfc-editor.org/rfc/rfc7009#section-2.2
 * @see https://www.rfc-editor.org/rfc/rfc7009#section-2.2.1
 */
export const processRevocationResponse = (
  response: HttpClientResponse.HttpClientResponse,
): Effect.Effect<void, OAuthError | RateLimited | TransportError | MalformedResponse> =>
  response.status >= 200 && response.status < 300 ? Effect.void : processErrorStatus(response, "revocation")

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

const oauthError = (wire: ErrorResponse, endpoint: OAuthEndpoint, status: number): OAuthError =>
  new OAuthError({
    endpoint,
    error: wire.error,
    errorDescription: wire.error_description,
    errorUri: wire.error_uri,
    status,
  })

const processErrorStatus = (
  response: HttpClientResponse.HttpClientResponse,
  endpoint: OAuthEndpoint,
): Effect.Effect<never, OAuthError | RateLimited | TransportError | MalformedResponse> =>
  Effect.gen(function* () {
    const { status } = response
    const source = `${endpoint} endpoint`
    const url = describeUrl(response.request.url)
    const now = yield* Clock.currentTimeMillis
    const retryAfterMs = parseRetryAfter(response.headers["retry-after"], now)
    if (status === 429) return yield* new RateLimited({ retryAfterMs })
    if (status >= 500) {
      // A broken or unreadable 5xx body is still a 5xx: the status is the useful part.
      const body = yield* Effect.option(readJsonBody(response, source, url))
      const wire = decodeErrorResponse(Option.getOrUndefined(body))
      if (wire !== undefined) return yield* oauthError(wire, endpoint, status)
      return yield* new TransportError({ reason: "ServerError", url, status, retryAfterMs })
    }
    if (status >= 400) {
      const wire = decodeErrorResponse(yield* readJsonBody(response, source, url))
      if (wire !== undefined) return yield* oauthError(wire, endpoint, status)
      return yield* new MalformedResponse({ reason: "InvalidErrorResponse", source, status })
    }
    return yield* new MalformedResponse({ reason: "UnexpectedStatus", source, status })
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
  tokenType: wire.token_type.toLowerCase() === "bearer" ? "Bearer" : wire.token_type,
  ...(wire.expires_in === undefined ? {} : { expiresIn: wire.expires_in }),
  // An empty refresh token would overwrite the stored one with nothing: treat it as absent.
  ...(wire.refresh_token === undefined || wire.refresh_token === ""
    ? {}
    : { refreshToken: Redacted.make(wire.refresh_token) }),
  ...(wire.scope === undefined ? {} : { scopes: wire.scope.split(" ").filter((scope) => scope !== "") }),
  ...(wire.id_token === undefined ? {} : { idToken: wire.id_token }),
  receivedAt,
})
