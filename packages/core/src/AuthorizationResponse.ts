/**
 * The callback: the authorization response parsed and checked, in the order that keeps a forged
 * or mixed-up response away from the token endpoint: duplicates, `iss`, `state`, errors, code.
 *
 * @module
 */
import * as Either from "effect/Either"
import * as Redacted from "effect/Redacted"
import * as Schema from "effect/Schema"
import type { PendingLogin } from "./AuthorizationRequest.js"
import {
  AuthorizationDenied,
  InvalidPendingLogin,
  MalformedResponse,
  OAuthError,
  StateMismatch,
} from "./Errors.js"
import { sanitizeServerText } from "./internal/serverText.js"
import type { Provider } from "./Provider.js"

/**
 * The parameters of an authorization response, decoded before any is used.
 *
 * @see https://www.rfc-editor.org/rfc/rfc6749#section-4.1.2
 */
export const CallbackParams = Schema.Struct({
  code: Schema.optional(Schema.String),
  state: Schema.optional(Schema.String),
  iss: Schema.optional(Schema.String),
  error: Schema.optional(Schema.String),
  error_description: Schema.optional(Schema.String),
  error_uri: Schema.optional(Schema.String),
})

/** A checked authorization response: the code may go to the token endpoint. */
export interface AuthorizationResult {
  readonly code: Redacted.Redacted<string>
  readonly state: string
  readonly iss?: string | undefined
}

/** Every way a callback can be refused. */
export type CallbackError =
  | MalformedResponse
  | StateMismatch
  | AuthorizationDenied
  | OAuthError
  | InvalidPendingLogin

/** What the callback is checked against. */
export interface CallbackExpectation {
  readonly provider: Pick<Provider<string>, "issuer" | "authorizationResponseIssParameterSupported">
  readonly pending: Pick<PendingLogin, "state" | "issuer"> & {
    /** When given, a callback passed as a full URL must come to its origin and path. */
    readonly redirectUri?: string | undefined
  }
}

const source = "callback"
const malformed = (reason: MalformedResponse["reason"], fields?: ReadonlyArray<string>) =>
  Either.left(new MalformedResponse({ reason, source, fields }))

// Front-channel text is attacker-controllable and shown to users: the same cleaning as the token
// endpoint's (no control or format characters, capped), with no secret of ours to redact in it.
const frontChannelText = (text: string | undefined) =>
  text === undefined ? undefined : sanitizeServerText(text, [])

/**
 * Parses and checks the callback: the full callback URL (absolute or path + query), or its query.
 * A code is returned only when a full callback URL comes to the pending login's `redirectUri`
 * (origin and path), no parameter repeats, the pending login's issuer is the provider's, `iss`
 * names it (RFC 9207), `state` matches the pending login exactly, and the response is not an error.
 *
 * @see https://www.rfc-editor.org/rfc/rfc6749#section-4.1.2
 * @see https://www.rfc-editor.org/rfc/rfc9207#section-2.4
 * @see https://www.rfc-editor.org/rfc/rfc9700#section-4.7
 */
export const parseCallback = (
  callback: string | URL | URLSearchParams,
  expected: CallbackExpectation,
): Either.Either<AuthorizationResult, CallbackError> => {
  const query = toSearchParams(callback)
  if (query === undefined) return malformed("InvalidCallbackUrl")
  const redirectUri = expected.pending.redirectUri
  if (redirectUri !== undefined && !comesTo(callback, redirectUri)) {
    return Either.left(new InvalidPendingLogin({ reason: "CallbackMismatch" }))
  }
  const seen = new Set<string>()
  const repeated = new Set<string>()
  for (const name of query.keys()) (seen.has(name) ? repeated : seen).add(name)
  if (repeated.size > 0) return malformed("DuplicateParameter", [...repeated].sort().slice(0, 5))

  const decoded = Schema.decodeUnknownEither(CallbackParams)(Object.fromEntries(query))
  if (Either.isLeft(decoded)) return malformed("InvalidCallbackParameters")
  const params = decoded.right

  // A pending login from server A must never send A's code to B (mix-up, RFC 9700 §4.4).
  const issuer = expected.provider.issuer
  if (expected.pending.issuer !== undefined && expected.pending.issuer !== issuer) {
    return Either.left(new InvalidPendingLogin({ reason: "IssuerMismatch" }))
  }
  if (params.iss !== undefined) {
    if (issuer !== undefined && params.iss !== issuer) return malformed("IssuerMismatch")
  } else if (expected.provider.authorizationResponseIssParameterSupported) {
    return malformed("IssuerMissing")
  }

  if (params.state === undefined) return Either.left(new StateMismatch({ reason: "Missing" }))
  if (!timingSafeEqual(params.state, expected.pending.state)) {
    return Either.left(new StateMismatch({ reason: "Mismatch" }))
  }

  if (params.error !== undefined) {
    const errorDescription = frontChannelText(params.error_description)
    return Either.left(
      params.error === "access_denied"
        ? new AuthorizationDenied({ errorDescription })
        : new OAuthError({
            endpoint: "authorization",
            error: sanitizeServerText(params.error, [], 100),
            errorDescription,
            errorUri: frontChannelText(params.error_uri),
          }),
    )
  }
  if (params.code === undefined || params.code === "") return malformed("MissingCode")
  return Either.right({ code: Redacted.make(params.code), state: params.state, iss: params.iss })
}

// Only a full URL says where the callback arrived; a path and query, or bare parameters, do not.
const comesTo = (callback: string | URL | URLSearchParams, redirectUri: string): boolean => {
  if (callback instanceof URLSearchParams) return true
  let arrived: URL
  try {
    arrived = callback instanceof URL ? callback : new URL(callback)
  } catch {
    return true
  }
  try {
    const expected = new URL(redirectUri)
    return arrived.origin === expected.origin && arrived.pathname === expected.pathname
  } catch {
    return false
  }
}

const toSearchParams = (callback: string | URL | URLSearchParams): URLSearchParams | undefined => {
  if (callback instanceof URLSearchParams) return callback
  if (callback instanceof URL) return callback.searchParams
  try {
    // A relative base lets adapters pass `req.originalUrl` as it arrives.
    return new URL(callback, "http://callback.invalid").searchParams
  } catch {
    return undefined
  }
}

// Comparison time must not reveal how much of a guessed state was right.
const timingSafeEqual = (a: string, b: string): boolean => {
  let difference = a.length ^ b.length
  for (let i = 0; i < b.length; i++) difference |= (a.charCodeAt(i % (a.length || 1)) || 0) ^ b.charCodeAt(i)
  return difference === 0
}
