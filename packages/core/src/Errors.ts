/**
 * Every failure a grantflow user can meet. Each class has a `_tag` (and the same `name`), a
 * literal `reason` where one class covers several causes, and a message that says what to do.
 *
 * Messages and enumerable fields never contain a client secret, token, authorization code or
 * PKCE verifier: errors end up in logs.
 *
 * @module
 */
import * as Data from "effect/Data"

/** Which endpoint an {@link OAuthError} came from. */
export type OAuthEndpoint = "authorization" | "token" | "revocation" | "device authorization"

/**
 * The authorization server answered with an OAuth error code (`invalid_grant`, `invalid_client`, ...).
 *
 * @see https://www.rfc-editor.org/rfc/rfc6749#section-5.2 (token endpoint errors)
 * @see https://www.rfc-editor.org/rfc/rfc6749#section-4.1.2.1 (authorization errors)
 */
export class OAuthError extends Data.TaggedError("OAuthError")<{
  readonly endpoint: OAuthEndpoint
  /** The server's `error` code, e.g. `invalid_grant`. */
  readonly error: string
  readonly errorDescription?: string | undefined
  readonly errorUri?: string | undefined
  /** The HTTP status, for errors from the token or revocation endpoint. */
  readonly status?: number | undefined
}> {
  override get message(): string {
    const described = this.errorDescription ? ` (${this.errorDescription})` : ""
    return `The ${this.endpoint} endpoint answered \`${this.error}\`${described}. ${oauthAdvice(this.error)}`
  }
}

const oauthAdvice = (error: string): string => {
  switch (error) {
    case "invalid_client":
    case "unauthorized_client":
      return "Check the client id, the client secret and the provider's tokenEndpointAuthMethod."
    case "invalid_grant":
      return "The code or refresh token is no longer valid: the user must log in again."
    case "invalid_scope":
      return "Request only scopes the client is registered for."
    case "invalid_request":
      return "The request was refused as malformed: check the redirect URI and parameters against the client's registration."
    case "unsupported_grant_type":
      return "The client is not allowed this grant type: check its registration."
    case "server_error":
    case "temporarily_unavailable":
      return "The server is having trouble: try again later."
    default:
      return "See the provider's documentation for this error code."
  }
}

/**
 * The user (or the server on their behalf) refused the authorization request: `error=access_denied`.
 *
 * @see https://www.rfc-editor.org/rfc/rfc6749#section-4.1.2.1
 */
export class AuthorizationDenied extends Data.TaggedError("AuthorizationDenied")<{
  readonly errorDescription?: string | undefined
}> {
  override get message(): string {
    const described = this.errorDescription ? ` (${this.errorDescription})` : ""
    return `The authorization request was denied${described}. Nothing was granted; offer the user to log in again.`
  }
}

/**
 * A callback whose `state` is absent or differs from the pending login's. Its code never reaches
 * the token endpoint.
 *
 * @see https://www.rfc-editor.org/rfc/rfc6749#section-10.12
 */
export class StateMismatch extends Data.TaggedError("StateMismatch")<{
  readonly reason: "Missing" | "Mismatch"
}> {
  override get message(): string {
    const what = this.reason === "Missing" ? "has no state parameter" : "has a state that does not match"
    return `The callback ${what} the pending login, so it was refused before reaching the token endpoint. Start the login again from the same browser.`
  }
}

/**
 * Renewal is impossible: the refresh token was refused (`invalid_grant`), revoked, or there is
 * none. The user must log in again.
 *
 * @see https://www.rfc-editor.org/rfc/rfc6749#section-6
 */
export class ReauthenticationRequired extends Data.TaggedError("ReauthenticationRequired")<{
  readonly reason: "InvalidGrant" | "Revoked" | "NoRefreshToken" | "SignedOut"
}> {
  override get message(): string {
    const why = {
      InvalidGrant: "the server refused the refresh token (invalid_grant)",
      SignedOut: "there are no credentials (no login yet, or logged out)",
      Revoked: "the credentials were revoked",
      NoRefreshToken: "the credentials have expired and hold no refresh token",
    }[this.reason]
    return `Reauthentication required: ${why}. Send the user through the login again.`
  }
}

/**
 * The server answered 429 and asked the client to wait longer than the caller allows (or retries
 * ran out). `retryAfterMs` is the server's Retry-After when it sent one.
 *
 * @see https://www.rfc-editor.org/rfc/rfc6585#section-4
 * @see https://www.rfc-editor.org/rfc/rfc9110#section-10.2.3
 */
export class RateLimited extends Data.TaggedError("RateLimited")<{
  readonly retryAfterMs?: number | undefined
}> {
  override get message(): string {
    const wait =
      this.retryAfterMs === undefined
        ? "without saying for how long"
        : `for ${Math.ceil(this.retryAfterMs / 1000)} s (Retry-After)`
    return `The token endpoint is rate limiting this client ${wait}. Wait before trying again, or raise the retry policy's maxRetryAfter.`
  }
}

/**
 * The request did not get an answer that could be used: the connection failed, or the server
 * answered 5xx without an OAuth error body.
 */
export class TransportError extends Data.TaggedError("TransportError")<{
  readonly reason: "Network" | "ServerError"
  readonly url: string
  readonly status?: number | undefined
  readonly retryAfterMs?: number | undefined
  readonly cause?: unknown
}> {
  override get message(): string {
    return this.reason === "Network"
      ? `Could not reach ${this.url}: check the network and the endpoint URL. It is retried automatically where that is safe.`
      : `${this.url} answered HTTP ${this.status}: the server is failing. Try again later.`
  }
}

/** What was wrong with a {@link MalformedResponse}. */
export type MalformedReason =
  | "NotJson"
  | "TooLarge"
  | "InvalidTokenResponse"
  | "InvalidErrorResponse"
  | "InvalidMetadata"
  | "UnexpectedStatus"
  | "InvalidCallbackUrl"
  | "DuplicateParameter"
  | "InvalidCallbackParameters"
  | "MissingCode"
  | "IssuerMissing"
  | "IssuerMismatch"
  | "UnsupportedTokenType"
  | "UnusableAccessToken"
  | "Redirected"
  | "InvalidDeviceAuthorizationResponse"

/**
 * A response (from an endpoint, or the authorization callback) that does not follow the
 * protocol. Issuer failures of RFC 9207 land here too: a callback without the promised `iss`,
 * or with another server's, is refused as a possible mix-up attack.
 *
 * @see https://www.rfc-editor.org/rfc/rfc6749#section-5.1
 * @see https://www.rfc-editor.org/rfc/rfc9207#section-2.4
 */
export class MalformedResponse extends Data.TaggedError("MalformedResponse")<{
  readonly reason: MalformedReason
  /** Which endpoint or document the response came from. */
  readonly source: string
  readonly status?: number | undefined
  /** Names of offending fields or parameters; never their values. */
  readonly fields?: ReadonlyArray<string> | undefined
}> {
  override get message(): string {
    const fields = this.fields && this.fields.length > 0 ? ` (${this.fields.join(", ")})` : ""
    const detail: Record<MalformedReason, string> = {
      NotJson: "was not JSON",
      TooLarge: "was larger than 1 MiB",
      InvalidTokenResponse: "is not a valid token response",
      InvalidErrorResponse: "is an error response without a usable `error` code",
      InvalidMetadata: "is not valid authorization server metadata",
      UnexpectedStatus: `had an unexpected HTTP status ${this.status}`,
      InvalidCallbackUrl: "is not a URL",
      DuplicateParameter: "repeats a parameter",
      InvalidCallbackParameters: "has parameters of the wrong shape",
      MissingCode: "carries neither a code nor an error",
      IssuerMissing:
        "has no `iss` although the provider promises one (RFC 9207); it may come from another server",
      IssuerMismatch: "names another issuer in `iss` (RFC 9207); it may be a mix-up attack",
      UnsupportedTokenType:
        "has a token_type other than Bearer; grantflow sends tokens only as Bearer (RFC 6750), so it refuses one it would misuse",
      UnusableAccessToken:
        "has an access_token holding whitespace, control or non-ASCII characters, which cannot travel in an Authorization header",
      InvalidDeviceAuthorizationResponse:
        "is not a usable device authorization response (RFC 8628 §3.2: device_code, a printable user_code, an http(s) verification_uri, expires_in)",
      Redirected:
        "was a redirect grantflow does not follow (token and revocation requests never follow one, discovery only within the issuer's origin), as it would take the request, or trust, elsewhere; point the provider at the final URL",
    }
    const advice =
      this.source === "callback"
        ? "The callback was refused; start the login again."
        : "Check that the provider's endpoints point at an OAuth 2.0 server."
    return `The ${this.source} response ${detail[this.reason]}${fields}. ${advice}`
  }
}

/** A request to the server took longer than its timeout. Timed-out requests are not retried. */
export class TimeoutError extends Data.TaggedError("TimeoutError")<{
  readonly url: string
  readonly timeoutMs: number
}> {
  override get message(): string {
    return `${this.url} did not answer within ${this.timeoutMs} ms. Try again, or raise the timeout.`
  }
}

/**
 * New credentials could not be saved: the credential store or the `onCredentialsRefreshed` hook
 * failed. The flow keeps the new credentials in memory and tries to save them again on the next
 * call, without a new token request, so a rotated refresh token is never lost.
 */
export class PersistenceError extends Data.TaggedError("PersistenceError")<{
  readonly reason: "Store" | "Hook"
  readonly cause?: unknown
}> {
  override get message(): string {
    return this.reason === "Store"
      ? "The credential store failed. New credentials are kept in memory and saved on the next call; check the store."
      : "onCredentialsRefreshed failed. New credentials are kept in memory and offered to it again on the next call; fix the hook."
  }
}

/** A token without a way to renew it has expired (a static token past its `expiresAt`). */
export class TokenExpired extends Data.TaggedError("TokenExpired")<{
  readonly expiredAt: number
}> {
  override get message(): string {
    return `The access token expired at ${new Date(this.expiredAt).toISOString()} and cannot be renewed here. Supply a fresh token.`
  }
}

/** The configuration given to grantflow cannot work; `reason` says which part and how to fix it. */
export class ConfigError extends Data.TaggedError("ConfigError")<{
  readonly reason: string
}> {
  override get message(): string {
    return `Invalid grantflow configuration: ${this.reason}`
  }
}

/** Why a pending login was refused; every case means "start the login again". */
export type InvalidPendingLoginReason =
  | "Malformed"
  | "Expired"
  | "IssuerMismatch"
  | "AlreadyCompleted"
  | "CallbackMismatch"
  | "Missing"

/**
 * The pending login given to `complete()` cannot be used: it is not one `begin()` made (or was
 * tampered with), it is too old, it belongs to another provider, it was completed already, or the
 * callback came to another address than its `redirectUri`. Nothing reached the token endpoint.
 *
 * @see https://www.rfc-editor.org/rfc/rfc9700#section-4.7.1
 */
export class InvalidPendingLogin extends Data.TaggedError("InvalidPendingLogin")<{
  readonly reason: InvalidPendingLoginReason
}> {
  override get message(): string {
    const why: Record<InvalidPendingLoginReason, string> = {
      Malformed: "is not a pending login made by begin(), or was altered or sealed with another key",
      Expired: "has expired (logins must be completed within minutes)",
      IssuerMismatch: "was made for another authorization server than this provider",
      AlreadyCompleted: "was completed already; a callback is exchanged once",
      CallbackMismatch: "does not match the callback's origin and path (its redirectUri)",
      Missing: "was not found (this tab started no login, or its callback was handled already)",
    }
    return `The pending login ${why[this.reason]}, so nothing was sent to the token endpoint. Start the login again.`
  }
}

/**
 * The device code of a device login ran out before the user approved it: the server answered
 * `expired_token`, or its `expires_in` passed. Nothing was granted; start the device login again.
 *
 * @see https://www.rfc-editor.org/rfc/rfc8628#section-3.5
 */
export class DeviceCodeExpired extends Data.TaggedError("DeviceCodeExpired")<{
  readonly reason: "ServerSaidExpired" | "ExpiresInPassed"
}> {
  override get message(): string {
    return "The device code expired before the user approved it. Start the device login again, and enter the new code sooner."
  }
}

/** Any error grantflow reports. */
export type GrantflowError =
  | OAuthError
  | AuthorizationDenied
  | StateMismatch
  | ReauthenticationRequired
  | RateLimited
  | TransportError
  | MalformedResponse
  | TimeoutError
  | TokenExpired
  | ConfigError
  | PersistenceError
  | InvalidPendingLogin
  | DeviceCodeExpired
