import { describe, expect, it } from "@effect/vitest"
import { AuthorizationRequest, AuthorizationResponse, authorizationCode, Entropy } from "@grantflow/core"
import * as Effect from "effect/Effect"
import * as Either from "effect/Either"
import * as TestClock from "effect/TestClock"
import * as fc from "fast-check"

const issuer = "https://auth.example.com"
const provider = {
  name: "test",
  authorizationEndpoint: `${issuer}/authorize`,
  tokenEndpoint: `${issuer}/token`,
  issuer,
  tokenEndpointAuthMethod: "client_secret_basic",
  authorizationResponseIssParameterSupported: true,
} as const
const redirectUri = "https://app.example.com/callback"
const T0 = 1_700_000_000_000
const minute = 60_000
const secret = "a-secret-of-at-least-thirty-two-characters"

const begin = Effect.gen(function* () {
  yield* TestClock.setTime(T0)
  const { pending } = yield* AuthorizationRequest.begin({ provider, clientId: "web", redirectUri })
  return pending
}).pipe(Effect.provide(Entropy.layer))

const reasonOf = <A, E>(effect: Effect.Effect<A, E>) =>
  Effect.map(Effect.flip(effect), (error) => error as { readonly _tag: string; readonly reason?: string })

describe("a pending login is untrusted input", () => {
  it.effect("a pending from begin() passes, and only until its maximum age", () =>
    Effect.gen(function* () {
      const pending = yield* begin
      expect(yield* AuthorizationRequest.validatePendingLogin(pending, { provider })).toEqual(pending)
      yield* TestClock.setTime(T0 + 10 * minute + 1)
      expect(yield* reasonOf(AuthorizationRequest.validatePendingLogin(pending, { provider }))).toMatchObject(
        { _tag: "InvalidPendingLogin", reason: "Expired" },
      )
      const longer = { provider, maxAgeMs: 20 * minute }
      expect(yield* AuthorizationRequest.validatePendingLogin(pending, longer)).toEqual(pending)
    }),
  )

  it.effect("refuses states, verifiers, dates and scopes that begin() never makes", () =>
    Effect.gen(function* () {
      const pending = yield* begin
      const forged = [
        { ...pending, state: "" },
        { ...pending, state: pending.state.slice(1) },
        { ...pending, state: `${pending.state.slice(1)}=` },
        { ...pending, codeVerifier: "short" },
        { ...pending, codeVerifier: `${pending.codeVerifier!.slice(1)} ` },
        { ...pending, createdAt: Number.NaN },
        { ...pending, createdAt: -1 },
        { ...pending, createdAt: T0 + 1.5 },
        { ...pending, createdAt: T0 + 10 * minute },
        { ...pending, scopes: ['a"b'] },
        { ...pending, scopes: Array.from({ length: 101 }, (_, i) => `s${i}`) },
        { ...pending, redirectUri: "/callback" },
        { ...pending, redirectUri: `${redirectUri}#fragment` },
        { ...pending, version: 2 },
        "not a pending login",
      ]
      for (const input of forged) {
        expect(yield* reasonOf(AuthorizationRequest.validatePendingLogin(input, { provider }))).toMatchObject(
          {
            _tag: "InvalidPendingLogin",
            reason: "Malformed",
          },
        )
      }
    }),
  )

  it.effect("refuses a pending made for another issuer, whichever side lacks one", () =>
    Effect.gen(function* () {
      const pending = yield* begin
      for (const other of [{ issuer: "https://other.example.com" }, { issuer: undefined }]) {
        expect(
          yield* reasonOf(AuthorizationRequest.validatePendingLogin(pending, { provider: other })),
        ).toMatchObject({ reason: "IssuerMismatch" })
      }
      const { issuer: _, ...withoutIssuer } = pending
      expect(
        yield* reasonOf(AuthorizationRequest.validatePendingLogin(withoutIssuer, { provider })),
      ).toMatchObject({ reason: "IssuerMismatch" })
    }),
  )
})

describe("sealed pending logins", () => {
  it.effect("round-trip; nothing of the pending login is readable in the sealed form", () =>
    Effect.gen(function* () {
      const pending = yield* begin
      const sealed = yield* AuthorizationRequest.seal(pending, secret).pipe(Effect.provide(Entropy.layer))
      expect(sealed).toMatch(/^[A-Za-z0-9_-]+$/)
      expect(sealed).not.toContain(pending.state)
      expect(sealed).not.toContain(pending.codeVerifier)
      expect(atob(sealed.replace(/-/g, "+").replace(/_/g, "/"))).not.toContain("callback")
      expect(yield* AuthorizationRequest.unseal(sealed, secret)).toEqual(pending)
    }),
  )

  it.effect("any altered character, another key or a sealing past its expiry is refused", () =>
    Effect.gen(function* () {
      const pending = yield* begin
      const sealed = yield* AuthorizationRequest.seal(pending, secret).pipe(Effect.provide(Entropy.layer))
      const positions = fc.sample(fc.integer({ min: 0, max: sealed.length - 1 }), 40)
      for (const at of positions) {
        const replacement = sealed[at] === "A" ? "B" : "A"
        const altered = sealed.slice(0, at) + replacement + sealed.slice(at + 1)
        expect(yield* reasonOf(AuthorizationRequest.unseal(altered, secret))).toMatchObject({
          _tag: "InvalidPendingLogin",
          reason: "Malformed",
        })
      }
      for (const garbage of ["", "!!!", sealed.slice(0, 20), `${sealed}A`, "A".repeat(9000)]) {
        expect(yield* reasonOf(AuthorizationRequest.unseal(garbage, secret))).toMatchObject({
          reason: "Malformed",
        })
      }
      expect(yield* reasonOf(AuthorizationRequest.unseal(sealed, `${secret}!`))).toMatchObject({
        reason: "Malformed",
      })
      yield* TestClock.setTime(T0 + 10 * minute)
      expect(yield* reasonOf(AuthorizationRequest.unseal(sealed, secret))).toMatchObject({
        reason: "Expired",
      })
    }),
  )

  it.effect("takes an AES-GCM CryptoKey; refuses short secrets and other keys", () =>
    Effect.gen(function* () {
      const pending = yield* begin
      const key = yield* Effect.promise(() =>
        crypto.subtle.generateKey({ name: "AES-GCM", length: 256 }, false, ["encrypt", "decrypt"]),
      )
      const sealed = yield* AuthorizationRequest.seal(pending, key).pipe(Effect.provide(Entropy.layer))
      expect(yield* AuthorizationRequest.unseal(sealed, key)).toEqual(pending)
      expect(yield* reasonOf(AuthorizationRequest.unseal(sealed, secret))).toMatchObject({
        reason: "Malformed",
      })
      const hmac = yield* Effect.promise(() =>
        crypto.subtle.generateKey({ name: "HMAC", hash: "SHA-256" }, false, ["sign"]),
      )
      for (const bad of ["x".repeat(31), hmac]) {
        expect(
          yield* reasonOf(AuthorizationRequest.seal(pending, bad).pipe(Effect.provide(Entropy.layer))),
        ).toMatchObject({ _tag: "ConfigError" })
      }
    }),
  )

  it("the Promise forms reject with the tagged error itself", async () => {
    const { pending } = await authorizationCode.begin({ provider, clientId: "web", redirectUri })
    const sealed = await authorizationCode.seal(pending, secret)
    expect(await authorizationCode.unseal(sealed, secret)).toEqual(pending)
    await expect(authorizationCode.unseal(sealed.slice(1), secret)).rejects.toMatchObject({
      _tag: "InvalidPendingLogin",
      name: "InvalidPendingLogin",
    })
    await expect(authorizationCode.seal(pending, "short")).rejects.toMatchObject({ _tag: "ConfigError" })
    await expect(authorizationCode.seal({ ...pending, state: "" }, secret)).rejects.toMatchObject({
      _tag: "InvalidPendingLogin",
      reason: "Malformed",
    })
  })
})

describe("the callback must come to the pending login's redirectUri", () => {
  const state = "Zx9_k2-Lq8wR4tY7uI0oP3aS6dF1gH5jK8lZ2xC4vB7"
  const expected = { provider, pending: { state, issuer, redirectUri } }
  const query = new URLSearchParams({ code: "c", state, iss: issuer })

  it("origin and path must match when the callback is a full URL; a path or a query is taken as is", () => {
    const accepted = [
      `${redirectUri}?${query}`,
      new URL(`${redirectUri}?${query}`),
      `/elsewhere?${query}`,
      query,
    ]
    for (const callback of accepted) {
      expect(Either.isRight(AuthorizationResponse.parseCallback(callback, expected))).toBe(true)
    }
    for (const callback of [
      `https://evil.example.com/callback?${query}`,
      `http://app.example.com/callback?${query}`,
      `https://app.example.com:8443/callback?${query}`,
      `https://app.example.com/callback/?${query}`,
      `https://app.example.com/other?${query}`,
    ]) {
      expect(AuthorizationResponse.parseCallback(callback, expected)).toMatchObject({
        left: { _tag: "InvalidPendingLogin", reason: "CallbackMismatch" },
      })
    }
  })

  it("a pending of another issuer is refused even when iss matches the provider", () => {
    const result = AuthorizationResponse.parseCallback(`${redirectUri}?${query}`, {
      provider,
      pending: { state, issuer: "https://other.example.com" },
    })
    expect(result).toMatchObject({ left: { _tag: "InvalidPendingLogin", reason: "IssuerMismatch" } })
  })
})
