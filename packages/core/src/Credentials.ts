/**
 * The credentials an app persists between runs: JSON, camelCase, decoded by a Schema whenever
 * they are read back from storage.
 *
 * @module
 */
import * as Schema from "effect/Schema"

/**
 * What a flow holds after a token response: the access token, its type and scopes, when it
 * expires (epoch milliseconds, compared with the Clock service), and the refresh token if any.
 *
 * @see https://www.rfc-editor.org/rfc/rfc6749#section-5.1
 */
export const Credentials = Schema.Struct({
  accessToken: Schema.NonEmptyString,
  tokenType: Schema.String,
  scopes: Schema.Array(Schema.String),
  expiresAt: Schema.optional(Schema.Number),
  refreshToken: Schema.optional(Schema.NonEmptyString),
  /**
   * The grant (one login) these credentials belong to: chosen at login, kept through rotations.
   * A source never adopts nor removes a stored record of another grant. Not a secret.
   */
  grantId: Schema.optional(Schema.NonEmptyString),
  /** Counts the grant's renewals, so a store is never taken back to older credentials. */
  revision: Schema.optional(Schema.Int.pipe(Schema.nonNegative())),
})

/** @see {@link Credentials} */
export interface Credentials extends Schema.Schema.Type<typeof Credentials> {}

/** Decodes credentials read back from storage; a corrupted record is a typed ParseError. */
export const decodeCredentials = Schema.decodeUnknown(Credentials)
