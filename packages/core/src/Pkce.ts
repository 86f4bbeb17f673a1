/**
 * Proof Key for Code Exchange: verifiers, S256 challenges and `state`.
 *
 * @module
 */
import * as Effect from "effect/Effect"
import { type Entropy, randomBytes } from "./Entropy.js"
import { ConfigError } from "./Errors.js"
import { encodeBase64Url } from "./internal/base64url.js"

/**
 * A valid code verifier: 43 to 128 characters of the unreserved set.
 *
 * @see https://www.rfc-editor.org/rfc/rfc7636#section-4.1
 */
export const verifierPattern = /^[A-Za-z0-9._~-]{43,128}$/

/** Default verifier length: 64 characters carry 384 bits. */
export const defaultVerifierLength = 64

/**
 * A fresh code verifier of `length` characters (43–128). Base64url's alphabet is a subset of the
 * unreserved set, so each character carries 6 bits: 43 characters already exceed 256 bits.
 *
 * @see https://www.rfc-editor.org/rfc/rfc7636#section-4.1
 */
export const generateVerifier = (
  length: number = defaultVerifierLength,
): Effect.Effect<string, ConfigError, Entropy> => {
  if (!Number.isInteger(length) || length < 43 || length > 128) {
    return Effect.fail(new ConfigError({ reason: "a PKCE verifier must be 43 to 128 characters long." }))
  }
  return Effect.map(randomBytes(Math.ceil((length * 3) / 4)), (bytes) =>
    encodeBase64Url(bytes).slice(0, length),
  )
}

/**
 * The S256 challenge of a verifier: BASE64URL(SHA-256(ASCII(verifier))). `plain` is not offered:
 * RFC 9700 §2.1.1 requires S256 where the client can compute it, and every client here can.
 *
 * @see https://www.rfc-editor.org/rfc/rfc7636#section-4.2
 */
export const challengeOf = (verifier: string): Effect.Effect<string, ConfigError> =>
  verifierPattern.test(verifier)
    ? Effect.promise(() => crypto.subtle.digest("SHA-256", new TextEncoder().encode(verifier))).pipe(
        Effect.map((digest) => encodeBase64Url(new Uint8Array(digest))),
      )
    : Effect.fail(
        new ConfigError({ reason: "a PKCE verifier must be 43 to 128 characters of [A-Za-z0-9-._~]." }),
      )

/** A verifier with its challenge, as sent in the authorization request. */
export interface PkcePair {
  readonly verifier: string
  readonly challenge: string
  readonly method: "S256"
}

/**
 * A fresh verifier and its S256 challenge.
 *
 * @see https://www.rfc-editor.org/rfc/rfc7636#section-4.3
 */
export const generatePkce = (
  length: number = defaultVerifierLength,
): Effect.Effect<PkcePair, ConfigError, Entropy> =>
  Effect.flatMap(generateVerifier(length), (verifier) =>
    Effect.map(challengeOf(verifier), (challenge) => ({ verifier, challenge, method: "S256" as const })),
  )

/** Bytes of entropy in a `state`: 256 bits, twice the 128 the design asks for. */
export const stateBytes = 32

/**
 * A fresh `state` value binding the callback to this login (CSRF protection).
 *
 * @see https://www.rfc-editor.org/rfc/rfc6749#section-10.12
 * @see https://www.rfc-editor.org/rfc/rfc9700#section-4.7.1
 */
export const generateState: Effect.Effect<string, never, Entropy> = Effect.map(
  randomBytes(stateBytes),
  encodeBase64Url,
)
