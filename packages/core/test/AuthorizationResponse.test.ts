import { describe, expect, it } from "@effect/vitest"
import { AuthorizationResponse } from "@grantflow/core"
import * as Either from "effect/Either"
import * as Redacted from "effect/Redacted"
import * as fc from "fast-check"

const issuer = "https://auth.example.com"
const pending = { state: "expected-state-0123456789abcdefghijklmnopq", issuer }
const withIss = {
  provider: { issuer, authorizationResponseIssParameterSupported: true },
  pending,
}
const withoutIss = {
  provider: { issuer: undefined, authorizationResponseIssParameterSupported: false },
  pending: { state: pending.state },
}
const callback = (query: Record<string, string>) =>
  `https://app.example.com/callback?${new URLSearchParams(query).toString()}`

const tags = ["MalformedResponse", "StateMismatch", "AuthorizationDenied", "OAuthError"]

describe("parseCallback", () => {
  it("returns the code when iss and state match", () => {
    const result = Either.getOrThrow(
      AuthorizationResponse.parseCallback(
        callback({ code: "the-code", state: pending.state, iss: issuer }),
        withIss,
      ),
    )
    expect(Redacted.value(result.code)).toBe("the-code")
    expect(String(result.code)).not.toContain("the-code")
  })

  it("accepts a path with query, a URL object and bare search params", () => {
    const query = { code: "c", state: pending.state }
    for (const input of [
      `/callback?${new URLSearchParams(query)}`,
      new URL(callback(query)),
      new URLSearchParams(query),
    ]) {
      expect(Either.isRight(AuthorizationResponse.parseCallback(input, withoutIss))).toBe(true)
    }
  })

  it("refuses duplicated parameters", () => {
    const url = `${callback({ code: "a", state: pending.state, iss: issuer })}&code=b`
    expect(AuthorizationResponse.parseCallback(url, withIss)).toMatchObject({
      left: { _tag: "MalformedResponse", reason: "DuplicateParameter", fields: ["code"] },
    })
  })

  it("checks iss before state: absent when promised, or naming another server", () => {
    expect(
      AuthorizationResponse.parseCallback(callback({ code: "c", state: pending.state }), withIss),
    ).toMatchObject({ left: { _tag: "MalformedResponse", reason: "IssuerMissing" } })
    expect(
      AuthorizationResponse.parseCallback(
        callback({ code: "c", state: "wrong", iss: "https://evil.example" }),
        withIss,
      ),
    ).toMatchObject({ left: { _tag: "MalformedResponse", reason: "IssuerMismatch" } })
  })

  it("refuses a missing or different state, even on error responses", () => {
    expect(AuthorizationResponse.parseCallback(callback({ code: "c", iss: issuer }), withIss)).toMatchObject({
      left: { _tag: "StateMismatch", reason: "Missing" },
    })
    expect(
      AuthorizationResponse.parseCallback(
        callback({ code: "c", state: `${pending.state}x`, iss: issuer }),
        withIss,
      ),
    ).toMatchObject({ left: { _tag: "StateMismatch", reason: "Mismatch" } })
    expect(
      AuthorizationResponse.parseCallback(callback({ error: "access_denied", state: "other" }), withoutIss),
    ).toMatchObject({ left: { _tag: "StateMismatch" } })
  })

  it("maps access_denied and other error redirects to typed errors", () => {
    expect(
      AuthorizationResponse.parseCallback(
        callback({ error: "access_denied", error_description: "user said no", state: pending.state }),
        withoutIss,
      ),
    ).toMatchObject({ left: { _tag: "AuthorizationDenied", errorDescription: "user said no" } })
    expect(
      AuthorizationResponse.parseCallback(
        callback({ error: "invalid_scope", state: pending.state }),
        withoutIss,
      ),
    ).toMatchObject({ left: { _tag: "OAuthError", endpoint: "authorization", error: "invalid_scope" } })
  })

  it("cleans front-channel error text: no line breaks or control characters, capped", () => {
    const forged = `no\r\n[INFO] admin logged in\u0007\u202e${"x".repeat(1000)}`
    const result = AuthorizationResponse.parseCallback(
      callback({ error: "server_error\nforged", error_description: forged, state: pending.state }),
      withoutIss,
    )
    if (Either.isRight(result) || result.left._tag !== "OAuthError") throw new Error("expected an OAuthError")
    const text = `${result.left.error} ${result.left.errorDescription} ${result.left.message}`
    for (const forbidden of ["\r", "\n", "\u0007", "\u202e"]) expect(text).not.toContain(forbidden)
    expect(result.left.errorDescription).toMatch(/^no \[INFO\] admin logged in x+…$/)
    expect(result.left.errorDescription?.length).toBeLessThanOrEqual(300)
  })

  it("refuses a response with neither code nor error", () => {
    expect(AuthorizationResponse.parseCallback(callback({ state: pending.state }), withoutIss)).toMatchObject(
      {
        left: { _tag: "MalformedResponse", reason: "MissingCode" },
      },
    )
  })

  it("never yields a code when state or iss is wrong, for arbitrary hostile callbacks", () => {
    const hostileValue = fc.oneof(
      fc.string(),
      fc.constant(pending.state),
      fc.constant(issuer),
      fc.constant(""),
    )
    const name = fc.oneof(
      fc.constantFrom("code", "state", "iss", "error", "error_description", "error_uri"),
      fc.string({ maxLength: 8 }),
    )
    fc.assert(
      fc.property(
        fc.array(fc.tuple(name, hostileValue), { maxLength: 10 }),
        fc.boolean(),
        fc.string({ maxLength: 20 }),
        (pairs, promisesIss, rawTail) => {
          const query = new URLSearchParams(pairs)
          const expected = promisesIss ? withIss : withoutIss
          for (const input of [
            query,
            `https://app/cb?${query}`,
            `https://app/cb?${query}${rawTail}`,
            rawTail,
          ]) {
            const result = AuthorizationResponse.parseCallback(input, expected)
            if (Either.isLeft(result)) {
              expect(tags).toContain(result.left._tag)
              continue
            }
            const params = input instanceof URLSearchParams ? input : new URL(input, "http://x").searchParams
            // A code only ever comes with the exact state and, where promised, the exact iss.
            expect(params.getAll("state")).toEqual([pending.state])
            if (promisesIss) expect(params.getAll("iss")).toEqual([issuer])
            expect(params.getAll("error")).toEqual([])
          }
        },
      ),
      { numRuns: 500 },
    )
  })

  it("refuses a callback that is not a URL at all", () => {
    for (const broken of ["https://[::1/callback?code=c", "http://?code=c"]) {
      expect(AuthorizationResponse.parseCallback(broken, withoutIss)).toMatchObject({
        left: { _tag: "MalformedResponse", reason: "InvalidCallbackUrl" },
      })
    }
  })

  it("names at most five repeated parameters, sorted, however many a flooded callback repeats", () => {
    const names = ["state", "scope", "iss", "foo", "code", "bar", "baz", "error"]
    const query = [...names, ...names].map((name) => `${name}=x`).join("&")
    expect(AuthorizationResponse.parseCallback(`/callback?${query}`, withoutIss)).toMatchObject({
      left: { reason: "DuplicateParameter", fields: ["bar", "baz", "code", "error", "foo"] },
    })
  })

  it("checks iss against the provider when the pending login names no issuer", () => {
    const expectation = { provider: withIss.provider, pending: { state: pending.state } }
    const result = AuthorizationResponse.parseCallback(
      callback({ code: "c", state: pending.state, iss: issuer }),
      expectation,
    )
    expect(Either.getOrThrow(result).iss).toBe(issuer)
    expect(
      AuthorizationResponse.parseCallback(
        callback({ code: "c", state: pending.state, iss: "https://evil.example" }),
        expectation,
      ),
    ).toMatchObject({ left: { _tag: "MalformedResponse", reason: "IssuerMismatch" } })
  })

  it("passes iss on unchecked when the provider has no issuer to check it against", () => {
    const result = AuthorizationResponse.parseCallback(
      callback({ code: "c", state: pending.state, iss: "https://auth.example.org" }),
      withoutIss,
    )
    expect(Either.getOrThrow(result).iss).toBe("https://auth.example.org")
  })

  it("refuses a full callback URL when the expected redirectUri is no absolute URL to compare with", () => {
    const query = new URLSearchParams({ code: "c", state: pending.state })
    const expectation = { ...withoutIss, pending: { ...withoutIss.pending, redirectUri: "/callback" } }
    expect(
      AuthorizationResponse.parseCallback(`https://app.example.com/callback?${query}`, expectation),
    ).toMatchObject({ left: { _tag: "InvalidPendingLogin", reason: "CallbackMismatch" } })
  })

  it("never puts the code in an error message", () => {
    const code = "SECRET-CODE-123"
    const result = AuthorizationResponse.parseCallback(callback({ code, state: "wrong" }), withoutIss)
    expect(Either.isLeft(result)).toBe(true)
    if (Either.isLeft(result)) {
      expect(result.left.message).not.toContain(code)
      expect(JSON.stringify(result.left)).not.toContain(code)
    }
  })
})
