import { createHash } from "node:crypto"
import { describe, expect, it } from "@effect/vitest"
import { Entropy, Pkce } from "@grantflow/core"
import * as Effect from "effect/Effect"
import * as Exit from "effect/Exit"
import * as fc from "fast-check"
import { decodeBase64Url } from "../src/internal/base64url.js"

const referenceChallenge = (verifier: string) =>
  createHash("sha256").update(verifier, "ascii").digest("base64url")

const hammingDistance = (a: Uint8Array, b: Uint8Array): number => {
  let distance = 0
  for (let i = 0; i < a.length; i++) {
    let x = a[i]! ^ b[i]!
    for (; x !== 0; x >>= 1) distance += x & 1
  }
  return distance
}

describe("PKCE verifier", () => {
  it.effect("matches the unreserved set for every length from 43 to 128, with real entropy", () =>
    Effect.gen(function* () {
      for (let length = 43; length <= 128; length++) {
        const verifier = yield* Pkce.generateVerifier(length)
        expect(verifier).toMatch(Pkce.verifierPattern)
        expect(verifier).toHaveLength(length)
      }
    }).pipe(Effect.provide(Entropy.layer)),
  )

  it("matches ^[A-Za-z0-9._~-]{43,128}$ for arbitrary lengths and entropy seeds", async () => {
    await fc.assert(
      fc.asyncProperty(fc.integer({ min: 43, max: 128 }), fc.integer(), async (length, seed) => {
        const verifier = await Effect.runPromise(
          Pkce.generateVerifier(length).pipe(Effect.provide(Entropy.layerTest(seed))),
        )
        expect(verifier).toMatch(/^[A-Za-z0-9._~-]{43,128}$/)
        expect(verifier).toHaveLength(length)
      }),
    )
  })

  it.effect("refuses lengths outside 43..128 with a ConfigError", () =>
    Effect.gen(function* () {
      for (const length of [0, 42, 129, 50.5]) {
        const exit = yield* Effect.exit(Pkce.generateVerifier(length))
        expect(exit).toMatchObject({ _tag: "Failure", cause: { error: { _tag: "ConfigError" } } })
      }
    }).pipe(Effect.provide(Entropy.layer)),
  )
})

describe("PKCE S256 challenge", () => {
  it.effect("reproduces the RFC 7636 Appendix B vector", () =>
    Effect.gen(function* () {
      const challenge = yield* Pkce.challengeOf("dBjftJeZ4CVP-mB92K27uhbUJU1p1r_wW1gFWFOEjXk")
      expect(challenge).toBe("E9Melhoa2OwvFrEMTJguCHaoeK1t8URWbuGJSstw-cM")
    }),
  )

  it("is 43 base64url characters equal to a reference SHA-256, for arbitrary valid verifiers", async () => {
    const unreserved = fc.constantFrom(
      ..."ABCDEFGHIJKLMNOPQRSTUVWXYZabcdefghijklmnopqrstuvwxyz0123456789-._~".split(""),
    )
    const verifier = fc.array(unreserved, { minLength: 43, maxLength: 128 }).map((chars) => chars.join(""))
    await fc.assert(
      fc.asyncProperty(verifier, async (v) => {
        const challenge = await Effect.runPromise(Pkce.challengeOf(v))
        expect(challenge).toMatch(/^[A-Za-z0-9_-]{43}$/)
        expect(challenge).toBe(referenceChallenge(v))
      }),
    )
  })

  it("refuses verifiers outside the unreserved set or length", async () => {
    const invalid = fc.oneof(
      fc.string({ maxLength: 42 }),
      fc.string({ minLength: 129, maxLength: 200 }),
      fc.string({ minLength: 43, maxLength: 128 }).filter((s) => !Pkce.verifierPattern.test(s)),
    )
    await fc.assert(
      fc.asyncProperty(invalid, async (v) => {
        const exit = await Effect.runPromiseExit(Pkce.challengeOf(v))
        expect(Exit.isFailure(exit)).toBe(true)
        expect(exit).toMatchObject({ cause: { error: { _tag: "ConfigError" } } })
      }),
    )
  })

  it.effect("pairs a fresh verifier with its challenge", () =>
    Effect.gen(function* () {
      const pair = yield* Pkce.generatePkce()
      expect(pair.method).toBe("S256")
      expect(pair.verifier).toHaveLength(Pkce.defaultVerifierLength)
      expect(pair.challenge).toBe(referenceChallenge(pair.verifier))
    }).pipe(Effect.provide(Entropy.layer)),
  )
})

describe("state", () => {
  it.effect("carries at least 128 bits and is unique over 10,000 draws", () =>
    Effect.gen(function* () {
      const seen = new Set<string>()
      const bits: Array<Uint8Array> = []
      for (let i = 0; i < 10_000; i++) {
        const state = yield* Pkce.generateState
        expect(decodeBase64Url(state).length * 8).toBeGreaterThanOrEqual(128)
        seen.add(state)
        bits.push(decodeBase64Url(state))
      }
      expect(seen.size).toBe(10_000)
      // Unique is not random: a counter is unique too. Every bit position must be set in about
      // half the draws (±5 %, over 25 standard deviations at n = 10,000), and consecutive draws
      // must differ in about half their bits, which a counter (1 or 2 bits) never does.
      const bitCount = bits[0]!.length * 8
      for (let bit = 0; bit < bitCount; bit++) {
        const ones = bits.filter((bytes) => ((bytes[bit >> 3]! >> (bit & 7)) & 1) === 1).length
        expect(ones / bits.length).toBeGreaterThan(0.45)
        expect(ones / bits.length).toBeLessThan(0.55)
      }
      let differing = 0
      for (let i = 1; i < bits.length; i++) differing += hammingDistance(bits[i - 1]!, bits[i]!)
      expect(differing / (bits.length - 1) / bitCount).toBeGreaterThan(0.45)
    }).pipe(Effect.provide(Entropy.layer)),
  )
})

describe("Entropy", () => {
  it.effect("test layer is deterministic per seed and differs between seeds", () =>
    Effect.gen(function* () {
      const draw = (seed: number) => Entropy.randomBytes(32).pipe(Effect.provide(Entropy.layerTest(seed)))
      expect(yield* draw(7)).toEqual(yield* draw(7))
      expect(yield* draw(7)).not.toEqual(yield* draw(8))
    }),
  )

  it.effect("real layer fills requests larger than one getRandomValues call", () =>
    Effect.gen(function* () {
      const bytes = yield* Entropy.randomBytes(70_000)
      expect(bytes).toHaveLength(70_000)
      // The tail past the first 65,536 bytes must be filled too, not left zero.
      expect(bytes.subarray(65_536).some((b) => b !== 0)).toBe(true)
    }).pipe(Effect.provide(Entropy.layer)),
  )
})
