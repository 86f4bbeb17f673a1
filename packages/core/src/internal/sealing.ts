/**
 * Authenticated encryption of short texts with WebCrypto's AES-256-GCM, for values a server
 * hands to a browser and must get back unread and unaltered (a pending login in a cookie).
 * Layout, base64url: version byte 1 | 12-byte IV | ciphertext and 16-byte tag.
 */
import * as Effect from "effect/Effect"
import { randomBytes } from "../Entropy.js"
import { ConfigError, InvalidPendingLogin } from "../Errors.js"
import { decodeBase64Url, encodeBase64Url } from "./base64url.js"

/**
 * WebCrypto's `CryptoKey`, named through the global `crypto` so that the public types compile
 * under Node's libs alone (where `CryptoKey` is not a global type) and under DOM's.
 */
export type WebCryptoKey = Awaited<ReturnType<typeof crypto.subtle.importKey>>

const version = 1
const ivLength = 12
const tagLength = 16
const minSecretLength = 32
// Far above any pending login; bounds the work an attacker's cookie can cause.
const maxSealedLength = 8192
const utf8 = new TextEncoder()
// Binds the ciphertext to its purpose: a value sealed for something else does not open here.
const additionalData = utf8.encode("grantflow pending login v1")

/**
 * The AES-GCM key: a given AES-GCM CryptoKey, or one derived from a secret by HKDF-SHA-256 (a
 * secret string is not a key; HKDF makes one of the right size from it).
 */
export const sealingKeyOf = (key: WebCryptoKey | string): Effect.Effect<WebCryptoKey, ConfigError> => {
  if (typeof key !== "string") {
    return key.algorithm.name === "AES-GCM"
      ? Effect.succeed(key)
      : Effect.fail(new ConfigError({ reason: "the sealing key must be an AES-GCM CryptoKey or a secret." }))
  }
  if (key.length < minSecretLength) {
    return Effect.fail(
      new ConfigError({ reason: `the sealing secret must be at least ${minSecretLength} characters.` }),
    )
  }
  return Effect.promise(async () => {
    const base = await crypto.subtle.importKey("raw", utf8.encode(key), "HKDF", false, ["deriveKey"])
    return crypto.subtle.deriveKey(
      { name: "HKDF", hash: "SHA-256", salt: utf8.encode("grantflow"), info: additionalData },
      base,
      { name: "AES-GCM", length: 256 },
      false,
      ["encrypt", "decrypt"],
    )
  })
}

/** Encrypts and authenticates `text` under `key` with a fresh random IV. */
export const sealText = (text: string, key: WebCryptoKey) =>
  Effect.gen(function* () {
    const iv = new Uint8Array(yield* randomBytes(ivLength))
    const ciphertext = yield* Effect.promise(() =>
      crypto.subtle.encrypt({ name: "AES-GCM", iv, additionalData }, key, utf8.encode(text)),
    )
    const out = new Uint8Array(1 + ivLength + ciphertext.byteLength)
    out[0] = version
    out.set(iv, 1)
    out.set(new Uint8Array(ciphertext), 1 + ivLength)
    return encodeBase64Url(out)
  })

/** Decrypts what {@link sealText} made; anything else is an `InvalidPendingLogin` "Malformed". */
export const openText = (sealed: string, key: WebCryptoKey): Effect.Effect<string, InvalidPendingLogin> => {
  const malformed = new InvalidPendingLogin({ reason: "Malformed" })
  if (sealed.length > maxSealedLength || !/^[A-Za-z0-9_-]+$/.test(sealed)) return Effect.fail(malformed)
  let bytes: Uint8Array<ArrayBuffer>
  try {
    bytes = new Uint8Array(decodeBase64Url(sealed))
  } catch {
    return Effect.fail(malformed)
  }
  if (bytes.length < 1 + ivLength + tagLength || bytes[0] !== version) return Effect.fail(malformed)
  return Effect.tryPromise({
    try: () =>
      crypto.subtle.decrypt(
        { name: "AES-GCM", iv: bytes.subarray(1, 1 + ivLength), additionalData },
        key,
        bytes.subarray(1 + ivLength),
      ),
    catch: () => malformed,
  }).pipe(Effect.map((plaintext) => new TextDecoder().decode(plaintext)))
}
