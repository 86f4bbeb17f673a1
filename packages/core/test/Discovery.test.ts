import * as HttpClient from "@effect/platform/HttpClient"
import * as HttpClientResponse from "@effect/platform/HttpClientResponse"
import { describe, expect, it } from "@effect/vitest"
import { Discovery, TokenEndpoint } from "@grantflow/core"
import * as Effect from "effect/Effect"
import * as Either from "effect/Either"
import * as Redacted from "effect/Redacted"

const issuer = "https://auth.example.com/tenant"
const metadata = {
  issuer,
  authorization_endpoint: "https://auth.example.com/tenant/authorize",
  token_endpoint: "https://auth.example.com/tenant/token",
  revocation_endpoint: "https://auth.example.com/tenant/revoke",
  token_endpoint_auth_methods_supported: ["private_key_jwt", "client_secret_post"],
  authorization_response_iss_parameter_supported: true,
  unknown_member: { ignored: true },
}

/**
 * A scripted in-process server for fault injection only: wrong issuers, 404s and broken
 * documents. Discovery against a real server is in the dev-server integration suite.
 */
const serve = (routes: Record<string, () => Response>) => {
  const requested: Array<string> = []
  const client = HttpClient.make((request) => {
    requested.push(request.url)
    const route = routes[request.url]
    return Effect.succeed(
      HttpClientResponse.fromWeb(request, route ? route() : new Response("", { status: 404 })),
    )
  })
  return { requested, layer: Effect.provideService(HttpClient.HttpClient, client) }
}
const json =
  (body: unknown, status = 200) =>
  () =>
    Response.json(body, { status })

describe("wellKnownUrls", () => {
  it("inserts RFC 8414's suffix before the path and appends OpenID's after it", () => {
    expect(Discovery.wellKnownUrls("https://auth.example.com/tenant")).toEqual([
      "https://auth.example.com/.well-known/oauth-authorization-server/tenant",
      "https://auth.example.com/tenant/.well-known/openid-configuration",
    ])
    expect(Discovery.wellKnownUrls("https://auth.example.com")).toEqual([
      "https://auth.example.com/.well-known/oauth-authorization-server",
      "https://auth.example.com/.well-known/openid-configuration",
    ])
  })
})

describe("discover", () => {
  it.effect("reads RFC 8414 metadata into a provider", () =>
    Effect.gen(function* () {
      const server = serve({ [Discovery.wellKnownUrls(issuer)[0]!]: json(metadata) })
      const provider = yield* Discovery.discover(issuer).pipe(server.layer)
      expect(provider).toMatchObject({
        issuer,
        tokenEndpoint: metadata.token_endpoint,
        revocationEndpoint: metadata.revocation_endpoint,
        tokenEndpointAuthMethod: "client_secret_post",
        authorizationResponseIssParameterSupported: true,
      })
      expect(server.requested).toHaveLength(1)
    }),
  )

  it.effect("falls back to OpenID Connect Discovery after a 404", () =>
    Effect.gen(function* () {
      const server = serve({ [Discovery.wellKnownUrls(issuer)[1]!]: json(metadata) })
      const provider = yield* Discovery.discover(issuer).pipe(server.layer)
      expect(provider.tokenEndpoint).toBe(metadata.token_endpoint)
      expect(server.requested).toEqual(Discovery.wellKnownUrls(issuer))
    }),
  )

  it.effect("refuses metadata naming another issuer (RFC 8414 §3.3)", () =>
    Effect.gen(function* () {
      const server = serve({
        [Discovery.wellKnownUrls(issuer)[0]!]: json({ ...metadata, issuer: "https://evil.example" }),
      })
      const error = yield* Effect.flip(Discovery.discover(issuer).pipe(server.layer))
      expect(error).toMatchObject({ _tag: "MalformedResponse", reason: "IssuerMismatch" })
    }),
  )

  it.effect("refuses documents without a token endpoint, and non-JSON documents", () =>
    Effect.gen(function* () {
      const { token_endpoint: _, ...incomplete } = metadata
      const first = serve({ [Discovery.wellKnownUrls(issuer)[0]!]: json(incomplete) })
      expect(yield* Effect.flip(Discovery.discover(issuer).pipe(first.layer))).toMatchObject({
        _tag: "MalformedResponse",
        reason: "InvalidMetadata",
      })
      const html = serve({ [Discovery.wellKnownUrls(issuer)[0]!]: () => new Response("<html>") })
      expect(yield* Effect.flip(Discovery.discover(issuer).pipe(html.layer))).toMatchObject({
        _tag: "MalformedResponse",
        reason: "NotJson",
      })
    }),
  )

  it.effect("reports a missing document, a failing server and insecure endpoints", () =>
    Effect.gen(function* () {
      const none = serve({})
      expect(yield* Effect.flip(Discovery.discover(issuer).pipe(none.layer))).toMatchObject({
        _tag: "MalformedResponse",
        status: 404,
      })
      expect(none.requested).toHaveLength(2)
      const failing = serve({ [Discovery.wellKnownUrls(issuer)[0]!]: json({}, 503) })
      expect(yield* Effect.flip(Discovery.discover(issuer).pipe(failing.layer))).toMatchObject({
        _tag: "TransportError",
        status: 503,
      })
      const insecure = serve({
        [Discovery.wellKnownUrls(issuer)[0]!]: json({
          ...metadata,
          token_endpoint: "http://auth.example.com/token",
        }),
      })
      expect(yield* Effect.flip(Discovery.discover(issuer).pipe(insecure.layer))).toMatchObject({
        _tag: "ConfigError",
      })
    }),
  )
})

describe("chooseAuthMethod", () => {
  it("prefers Basic, defaults to Basic when the server says nothing, and falls back to post or none", () => {
    expect(Discovery.chooseAuthMethod(undefined)).toBe("client_secret_basic")
    expect(Discovery.chooseAuthMethod(["client_secret_post", "client_secret_basic"])).toBe(
      "client_secret_basic",
    )
    expect(Discovery.chooseAuthMethod(["client_secret_post"])).toBe("client_secret_post")
    expect(Discovery.chooseAuthMethod(["private_key_jwt"])).toBe("none")
  })

  it.effect("a server offering only none refuses a client with a secret, naming what it offers", () =>
    Effect.gen(function* () {
      const publicOnly = { ...metadata, token_endpoint_auth_methods_supported: ["none", "private_key_jwt"] }
      const provider = Either.getOrThrow(Discovery.providerFromMetadata(issuer, publicOnly))
      expect(provider.tokenEndpointAuthMethod).toBe("none")
      const requested: Array<string> = []
      const client = HttpClient.make((request) => {
        requested.push(request.url)
        return Effect.succeed(HttpClientResponse.fromWeb(request, Response.json({ error: "unexpected" })))
      })
      const endpoint = yield* TokenEndpoint.make().pipe(Effect.provideService(HttpClient.HttpClient, client))
      const error = yield* Effect.flip(
        endpoint.request({
          provider,
          client: { clientId: "app", clientSecret: Redacted.make("confidential") },
          grant: { type: "client_credentials" },
        }),
      )
      expect(error._tag).toBe("ConfigError")
      expect(error.message).toContain(`The server offers: "none", "private_key_jwt".`)
      expect(requested).toHaveLength(0)
      // A public client (no secret) is what the server asked for: it goes through.
      yield* Effect.flip(
        endpoint.request({ provider, client: { clientId: "app" }, grant: { type: "client_credentials" } }),
      )
      expect(requested).toHaveLength(1)
    }),
  )

  it("lets the caller override the choice", () => {
    const provider = Discovery.providerFromMetadata(issuer, metadata, { tokenEndpointAuthMethod: "none" })
    expect(Either.getOrThrow(provider).tokenEndpointAuthMethod).toBe("none")
  })
})
