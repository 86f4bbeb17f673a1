/**
 * Cryptographic randomness as a service. PKCE verifiers and `state` must be unguessable, and
 * Effect's `Random` is a PCG generator, not a CSPRNG, so grantflow never uses it for them.
 *
 * @module
 */
import * as Context from "effect/Context"
import * as Effect from "effect/Effect"
import * as Layer from "effect/Layer"

/**
 * Source of cryptographically secure random bytes.
 *
 * @see https://www.rfc-editor.org/rfc/rfc7636#section-7.1
 * @see https://www.rfc-editor.org/rfc/rfc6749#section-10.10
 */
export class Entropy extends Context.Tag("@grantflow/core/Entropy")<
  Entropy,
  { readonly randomBytes: (length: number) => Effect.Effect<Uint8Array> }
>() {}

// getRandomValues refuses more than 65536 bytes per call.
const maxChunk = 65536

/** WebCrypto's `crypto.getRandomValues`: available in Node 20+, browsers and edge runtimes. */
export const layer: Layer.Layer<Entropy> = Layer.succeed(Entropy, {
  randomBytes: (length) =>
    Effect.sync(() => {
      const bytes = new Uint8Array(length)
      for (let offset = 0; offset < length; offset += maxChunk) {
        crypto.getRandomValues(bytes.subarray(offset, Math.min(length, offset + maxChunk)))
      }
      return bytes
    }),
})

/**
 * Deterministic bytes from a seed (xorshift32), for tests and examples only: never use it to
 * talk to a real server. The same seed gives the same sequence.
 */
export const layerTest = (seed = 1): Layer.Layer<Entropy> =>
  Layer.sync(Entropy, () => {
    let x = seed >>> 0 || 0x9e3779b9
    const next = (): number => {
      x ^= x << 13
      x >>>= 0
      x ^= x >>> 17
      x ^= x << 5
      x >>>= 0
      return x & 0xff
    }
    return { randomBytes: (length) => Effect.sync(() => Uint8Array.from({ length }, next)) }
  })

/** `length` random bytes from the current {@link Entropy}. */
export const randomBytes = (length: number): Effect.Effect<Uint8Array, never, Entropy> =>
  Effect.flatMap(Entropy, (entropy) => entropy.randomBytes(length))
