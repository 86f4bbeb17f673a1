import { describe, expect, it } from "@effect/vitest"
import * as Either from "effect/Either"
import * as Redacted from "effect/Redacted"
import * as fc from "fast-check"
import { authenticateClient, encodeForm } from "../src/internal/clientAuthentication.js"

const formDecode = (value: string): string => new URLSearchParams(`v=${value}`).get("v")!

const decodeBasic = (header: string): { readonly clientId: string; readonly clientSecret: string } => {
  expect(header.startsWith("Basic ")).toBe(true)
  const decoded = atob(header.slice("Basic ".length))
  // Form encoding turns ":" into %3A, so the first colon is the separator.
  const colon = decoded.indexOf(":")
  expect(colon).toBeGreaterThanOrEqual(0)
  return { clientId: formDecode(decoded.slice(0, colon)), clientSecret: formDecode(decoded.slice(colon + 1)) }
}

const authenticate = (...args: Parameters<typeof authenticateClient>) =>
  Either.getOrThrow(authenticateClient(...args))

describe("client authentication", () => {
  it("client_secret_basic form-encodes id and secret before base64 (RFC 6749 §2.3.1)", () => {
    const auth = authenticate("client_secret_basic", {
      clientId: "CLIENT_ID??",
      clientSecret: Redacted.make("CLIENT_SECRET??"),
    })
    expect(auth.headers).toEqual({ authorization: "Basic Q0xJRU5UX0lEJTNGJTNGOkNMSUVOVF9TRUNSRVQlM0YlM0Y=" })
    expect(auth.params).toEqual([])
  })

  it("client_secret_basic form-encodes spaces as + and colons as %3A", () => {
    const auth = authenticate("client_secret_basic", {
      clientId: "a b:c",
      clientSecret: Redacted.make("é/="),
    })
    expect(atob(auth.headers.authorization!.slice(6))).toBe("a+b%3Ac:%C3%A9%2F%3D")
  })

  it("client_secret_post puts id and secret in the body and sends no header", () => {
    const auth = authenticate("client_secret_post", {
      clientId: "CLIENT_ID??",
      clientSecret: Redacted.make("s e/c"),
    })
    expect(auth.headers).toEqual({})
    expect(auth.params).toEqual([
      ["client_id", "CLIENT_ID??"],
      ["client_secret", "s e/c"],
    ])
    expect(encodeForm(auth.params)).toBe("client_id=CLIENT_ID%3F%3F&client_secret=s+e%2Fc")
  })

  it("none sends the client id only", () => {
    expect(authenticate("none", { clientId: "public-app" })).toEqual({
      headers: {},
      params: [["client_id", "public-app"]],
    })
  })

  it("none with a secret is a ConfigError naming the server's methods, never a dropped secret", () => {
    const client = { clientId: "app", clientSecret: Redacted.make("s3cr3t-value") }
    const result = authenticateClient("none", client, ["none", "private_key_jwt"])
    expect(Either.isLeft(result)).toBe(true)
    if (Either.isLeft(result)) {
      expect(result.left._tag).toBe("ConfigError")
      expect(result.left.message).toContain(`The server offers: "none", "private_key_jwt".`)
      expect(result.left.message).not.toContain("s3cr3t-value")
    }
    const unknown = authenticateClient("none", client)
    expect(Either.isLeft(unknown) && unknown.left.message).toContain("a clientSecret was given")
  })

  it("fails with ConfigError when the method needs a secret and there is none", () => {
    for (const method of ["client_secret_basic", "client_secret_post"] as const) {
      const result = authenticateClient(method, { clientId: "app" })
      expect(Either.isLeft(result)).toBe(true)
      if (Either.isLeft(result)) {
        expect(result.left._tag).toBe("ConfigError")
        expect(result.left.message).toContain(method)
      }
    }
  })

  it("fails with ConfigError on an empty client id", () => {
    const result = authenticateClient("none", { clientId: "" })
    expect(Either.isLeft(result) && result.left._tag).toBe("ConfigError")
  })

  it("Basic decodes back to the original id and secret for any unicode strings", () => {
    fc.assert(
      fc.property(
        fc.string({ unit: "binary", minLength: 1 }),
        fc.string({ unit: "binary" }),
        (clientId, clientSecret) => {
          const auth = authenticate("client_secret_basic", {
            clientId,
            clientSecret: Redacted.make(clientSecret),
          })
          expect(decodeBasic(auth.headers.authorization!)).toEqual({ clientId, clientSecret })
        },
      ),
      { numRuns: 500 },
    )
  })

  it("a form body decodes back to its parameters for any unicode strings", () => {
    fc.assert(
      fc.property(
        fc.array(fc.tuple(fc.string({ unit: "binary", minLength: 1 }), fc.string({ unit: "binary" })), {
          maxLength: 6,
        }),
        (params) => {
          expect([...new URLSearchParams(encodeForm(params))]).toEqual(params)
        },
      ),
    )
  })
})
