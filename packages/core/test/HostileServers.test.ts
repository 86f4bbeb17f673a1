/**
 * The core's reads against servers that misbehave on purpose (node:http fault injectors from
 * `support/hostileServer.ts`), on each HTTP layer a user may provide: the core's Node layer, the
 * core's fetch layer, and plain `FetchHttpClient.layer` as the Effect docs show it.
 */
import { inspect } from "node:util"
import * as FetchHttpClient from "@effect/platform/FetchHttpClient"
import * as HttpClient from "@effect/platform/HttpClient"
import { describe, expect, it } from "@effect/vitest"
import * as Effect from "effect/Effect"
import * as Layer from "effect/Layer"
import * as Redacted from "effect/Redacted"
import { CredentialStore, Discovery, discoverProvider, SavedCredentials } from "../src/index.js"
import { defineProvider, type TokenEndpointAuthMethod } from "../src/Provider.js"
import * as HttpFetch from "../src/platform/httpFetch.js"
import * as HttpNode from "../src/platform/httpNode.js"
import { make as makeTokenEndpoint, layer as tokenEndpointLayer } from "../src/TokenEndpoint.js"
import { firehose, type HostileServer, neverEnding, serve } from "./support/hostileServer.js"

const layers = [
  { name: "core Node layer", layer: HttpNode.layer },
  { name: "core fetch layer", layer: HttpFetch.layer },
  { name: "plain FetchHttpClient.layer", layer: FetchHttpClient.layer },
] as const

const MiB = 1024 * 1024

const providerAt = (
  server: HostileServer,
  tokenPath = "/token",
  method: TokenEndpointAuthMethod = "client_secret_post",
) =>
  defineProvider({
    authorizationEndpoint: `${server.origin}/authorize`,
    tokenEndpoint: `${server.origin}${tokenPath}`,
    revocationEndpoint: `${server.origin}/revoke`,
    tokenEndpointAuthMethod: method,
  })

const secret = {
  clientSecret: "cs+Secret/7Hq2 =&",
  refreshToken: "rt-Secret-Rv8c",
  code: "code-Secret-Zt5W",
  codeVerifier: "verifier-Secret-9Lk3mN0pQ4rS5tU6vW7xY8zA1bC2dE3fG4hJ",
  revoked: "at-Secret-Ax4f",
} as const
const client = { clientId: "app", clientSecret: Redacted.make(secret.clientSecret) }
const clientCredentialsGrant = { type: "client_credentials" } as const
const noRetries = { retry: { maxRetries: 0 } } as const

describe("bounded reads: a 500 MB answer", () => {
  for (const { name, layer } of layers) {
    it.live(`${name}: fails with TooLarge on every read, holding no more than a few MB`, () =>
      Effect.gen(function* () {
        const counter = { sent: 0 }
        const total = 500 * MiB
        const server = yield* serve((request, response) => {
          const chunked = { total, declareLength: false }
          if (request.path === "/token")
            firehose(response, { status: 200, prefix: `{"a":"`, ...chunked }, counter)
          else if (request.path === "/declared")
            firehose(response, { status: 200, prefix: "", total, declareLength: true }, counter)
          else if (request.path === "/refused")
            firehose(response, { status: 400, prefix: `{"error":"`, ...chunked }, counter)
          else if (request.path === "/revoke")
            firehose(response, { status: 200, prefix: "", ...chunked }, counter)
          else firehose(response, { status: 200, prefix: `{"issuer":"`, ...chunked }, counter)
        })
        const endpoint = yield* makeTokenEndpoint(noRetries)
        const request = (path: string) =>
          Effect.flip(
            endpoint.request({ provider: providerAt(server, path), client, grant: clientCredentialsGrant }),
          )
        const readEverything = Effect.gen(function* () {
          for (const path of ["/token", "/declared", "/refused"]) {
            expect(yield* request(path)).toMatchObject({ _tag: "MalformedResponse", reason: "TooLarge" })
          }
          const discovery = yield* Effect.flip(Discovery.discover(server.origin))
          expect(discovery).toMatchObject({ _tag: "MalformedResponse", reason: "TooLarge" })
          const refusedRevocation = { ...providerAt(server), revocationEndpoint: `${server.origin}/refused` }
          const revocation = yield* Effect.flip(
            endpoint.revoke({ provider: refusedRevocation, client, token: Redacted.make(secret.revoked) }),
          )
          expect(revocation).toMatchObject({ _tag: "MalformedResponse", reason: "TooLarge" })
          // A 2xx revocation's body is of no use: it is dropped at the cap, and the revocation stands.
          yield* endpoint.revoke({
            provider: providerAt(server),
            client,
            token: Redacted.make(secret.revoked),
          })
        })

        // The first pass loads and warms up whatever each path needs; the second is measured.
        yield* readEverything
        const before = process.memoryUsage().rss
        yield* readEverything
        const grown = process.memoryUsage().rss - before
        // Buffering any one answer would take 500 MB; garbage not yet collected accounts for the rest.
        expect(grown).toBeLessThan(48 * MiB)
        // Twelve answers of 500 MB were offered; the client took about its cap of each and hung up.
        expect(counter.sent).toBeLessThan(12 * 16 * MiB)
      }).pipe(Effect.provide(layer), Effect.scoped),
    )
  }
})

describe("bounded reads: a body that never ends", () => {
  for (const { name, layer } of layers) {
    it.live(`${name}: the token and discovery timeouts cover the body`, () =>
      Effect.gen(function* () {
        const server = yield* serve((_, response) => neverEnding(response))
        const endpoint = yield* makeTokenEndpoint({ timeout: "300 millis" })
        const token = yield* Effect.flip(
          endpoint.request({ provider: providerAt(server), client, grant: clientCredentialsGrant }),
        )
        expect(token).toMatchObject({ _tag: "TimeoutError", timeoutMs: 300 })
        const discovery = yield* Effect.flip(Discovery.discover(server.origin, { timeout: "300 millis" }))
        expect(discovery).toMatchObject({ _tag: "TimeoutError", timeoutMs: 300 })
        // Timed-out requests are not retried: one token request, one discovery request.
        expect(server.requests.map((request) => request.path)).toEqual([
          "/token",
          "/.well-known/oauth-authorization-server",
        ])
      }).pipe(Effect.provide(layer), Effect.scoped),
    )
  }
})

/** Every spelling of a secret an echoing server could hand back. */
const spellings = (value: string) => [
  value,
  new URLSearchParams([["", value]]).toString().slice(1),
  encodeURIComponent(value),
]

const renderings = (error: unknown) => [
  String(error),
  JSON.stringify(error),
  inspect(error, { showHidden: true, depth: 10 }),
]

describe("server text in errors", () => {
  it.live("an echoing server puts no secret, control character or flood into an error", () =>
    Effect.gen(function* () {
      // Echoes the whole request (body and Authorization header) into error_description and error_uri.
      const server = yield* serve((request, response) => {
        const echo = `You sent ${request.body} with ${request.headers.authorization ?? "no header"}`
        response.writeHead(400, { "content-type": "application/json" }).end(
          JSON.stringify({
            error: "invalid_request",
            error_description: `${echo}\r\nX-Forged: yes\u202e\u0000 ${"x".repeat(5000)}`,
            error_uri: `https://docs.example/?${request.body}`,
          }),
        )
      })
      const endpoint = yield* makeTokenEndpoint(noRetries)
      const basic = providerAt(server, "/token", "client_secret_basic")
      const errors = [
        yield* Effect.flip(
          endpoint.request({
            provider: basic,
            client,
            grant: { type: "refresh_token", refreshToken: Redacted.make(secret.refreshToken) },
          }),
        ),
        yield* Effect.flip(
          endpoint.request({
            provider: providerAt(server),
            client,
            grant: {
              type: "authorization_code",
              code: Redacted.make(secret.code),
              redirectUri: "https://app.example/cb",
              codeVerifier: Redacted.make(secret.codeVerifier),
            },
          }),
        ),
        yield* Effect.flip(
          endpoint.revoke({ provider: providerAt(server), client, token: Redacted.make(secret.revoked) }),
        ),
      ]
      const basicHeader = server.requests[0]!.headers.authorization!.replace("Basic ", "")
      const forbidden = [...Object.values(secret).flatMap(spellings), basicHeader]
      for (const error of errors) {
        expect(error).toMatchObject({ _tag: "OAuthError", error: "invalid_request" })
        for (const rendering of renderings(error)) {
          for (const value of forbidden) expect(rendering).not.toContain(value)
        }
        const description = (error as { errorDescription: string }).errorDescription
        expect(description).toContain("[redacted]")
        for (const unsafe of ["\r", "\n", "\u0000", "\u202e"]) expect(description).not.toContain(unsafe)
        expect(description.length).toBeLessThanOrEqual(300)
        expect(error.message.length).toBeLessThan(600)
      }
    }).pipe(Effect.provide(HttpNode.layer), Effect.scoped),
  )
})

describe("broken connections in errors", () => {
  for (const { name, layer } of layers) {
    it.live(`${name}: a connection cut before or during the answer leaves no secret in the error`, () =>
      Effect.gen(function* () {
        const server = yield* serve((request, response) => {
          if (request.path === "/cut") return response.socket?.destroy()
          response.writeHead(200, { "content-type": "application/json", "content-length": "400" })
          response.write(`{"access_token":"${request.body}`, () => response.socket?.destroy())
        })
        const endpoint = yield* makeTokenEndpoint(noRetries)
        for (const path of ["/cut", "/token"]) {
          const error = yield* Effect.flip(
            endpoint.request({
              provider: providerAt(server, path),
              client,
              grant: { type: "refresh_token", refreshToken: Redacted.make(secret.refreshToken) },
            }),
          )
          expect(error).toMatchObject({ _tag: "TransportError", reason: "Network" })
          for (const rendering of renderings(error)) {
            for (const value of Object.values(secret).flatMap(spellings))
              expect(rendering).not.toContain(value)
          }
        }
      }).pipe(Effect.provide(layer), Effect.scoped),
    )
  }
})

describe("redirects are never followed for the core's requests", () => {
  const followingFetch = Layer.effect(
    HttpClient.HttpClient,
    Effect.map(HttpClient.HttpClient, (client) => HttpClient.followRedirects(client)),
  ).pipe(Layer.provide(FetchHttpClient.layer))

  for (const { name, layer } of layers) {
    for (const status of [302, 307]) {
      it.live(`${name}: a ${status} from the token endpoint to another host is refused unsent`, () =>
        Effect.gen(function* () {
          const elsewhere = yield* serve((_, response) =>
            response
              .writeHead(200, { "content-type": "application/json" })
              .end(JSON.stringify({ access_token: "stolen", token_type: "Bearer" })),
          )
          const server = yield* serve((_, response) =>
            response.writeHead(status, { location: `${elsewhere.origin}/token` }).end(),
          )
          const endpoint = yield* makeTokenEndpoint(noRetries)
          const error = yield* Effect.flip(
            endpoint.request({
              provider: providerAt(server),
              client,
              grant: { type: "refresh_token", refreshToken: Redacted.make(secret.refreshToken) },
            }),
          )
          expect(error).toMatchObject({ _tag: "MalformedResponse", reason: "Redirected", status })
          expect(elsewhere.requests).toHaveLength(0)
        }).pipe(Effect.provide(layer), Effect.scoped),
      )
    }
  }

  it.live("a client wrapped in HttpClient.followRedirects: the other host's token is not adopted", () =>
    Effect.gen(function* () {
      const elsewhere = yield* serve((_, response) =>
        response
          .writeHead(200, { "content-type": "application/json" })
          .end(JSON.stringify({ access_token: "stolen", token_type: "Bearer" })),
      )
      const server = yield* serve((_, response) =>
        response.writeHead(302, { location: `${elsewhere.origin}/token` }).end(),
      )
      const endpoint = yield* makeTokenEndpoint(noRetries)
      const error = yield* Effect.flip(
        endpoint.request({ provider: providerAt(server), client, grant: clientCredentialsGrant }),
      )
      // Effect's own redirect following happens inside the caller's client, out of the core's
      // reach (documented on executeWithoutRedirects): the answer it brings back is refused.
      expect(error).toMatchObject({
        _tag: "MalformedResponse",
        reason: "Redirected",
        source: "token endpoint",
      })
    }).pipe(Effect.provide(followingFetch), Effect.scoped),
  )
})

/** Metadata for `issuer` whose token endpoint lives at `tokenOrigin`. */
const metadataFor = (issuer: string, tokenOrigin: string) => ({
  issuer,
  authorization_endpoint: `${tokenOrigin}/authorize`,
  token_endpoint: `${tokenOrigin}/token`,
})

describe("discovery redirects", () => {
  for (const { name, layer } of layers) {
    it.live(`${name}: a redirect to another origin is refused; one within the origin is followed`, () =>
      Effect.gen(function* () {
        const issuerBox = { issuer: "" }
        // Another origin that echoes whatever issuer it is asked about, with its own token endpoint.
        const elsewhere = yield* serve((_, response) =>
          response
            .writeHead(200, { "content-type": "application/json" })
            .end(JSON.stringify(metadataFor(issuerBox.issuer, "http://127.0.0.1:9"))),
        )
        const server = yield* serve((request, response) => {
          if (request.path === "/.well-known/oauth-authorization-server/moved")
            response.writeHead(302, { location: `${elsewhere.origin}${request.path}` }).end()
          else if (request.path === "/.well-known/oauth-authorization-server/same")
            response.writeHead(301, { location: "/metadata.json" }).end()
          else if (request.path === "/metadata.json")
            response
              .writeHead(200, { "content-type": "application/json" })
              .end(
                JSON.stringify(
                  metadataFor(`${issuerBox.issuer.replace("/moved", "")}/same`, "http://127.0.0.1"),
                ),
              )
          else response.writeHead(404).end()
        })
        issuerBox.issuer = `${server.origin}/moved`
        const error = yield* Effect.flip(Discovery.discover(issuerBox.issuer))
        expect(error).toMatchObject({ _tag: "MalformedResponse", reason: "Redirected", status: 302 })
        expect(elsewhere.requests).toHaveLength(0)

        const provider = yield* Discovery.discover(`${server.origin}/same`)
        expect(provider.tokenEndpoint).toBe("http://127.0.0.1/token")
      }).pipe(Effect.provide(layer), Effect.scoped),
    )
  }

  it.live("discoverProvider (the Promise API) refuses it too", () =>
    Effect.gen(function* () {
      const elsewhere = yield* serve((_, response) => response.writeHead(404).end())
      const server = yield* serve((request, response) =>
        response.writeHead(308, { location: `${elsewhere.origin}${request.path}` }).end(),
      )
      const error = yield* Effect.flip(
        Effect.tryPromise({ try: () => discoverProvider(server.origin), catch: (cause) => cause }),
      )
      expect(error).toMatchObject({ _tag: "MalformedResponse", reason: "Redirected", status: 308 })
      expect(elsewhere.requests).toHaveLength(0)
    }).pipe(Effect.scoped),
  )
})

/**
 * A token endpoint that rotates refresh tokens and loses its first answer mid-body (headers and
 * half the JSON, then the socket closes). `grace`: the previous refresh token is honoured once
 * more; `strict`: presenting it again is reuse, and the whole grant is revoked.
 */
const rotatingServer = (mode: "grace" | "strict") => {
  const state = { current: "rt-0", previous: new Set<string>(), revoked: false, issued: 0, broke: false }
  return Effect.map(
    serve((request, response) => {
      const presented = request.form.refresh_token ?? ""
      const invalidGrant = () =>
        response.writeHead(400, { "content-type": "application/json" }).end(`{"error":"invalid_grant"}`)
      const issue = () => {
        state.issued++
        state.previous.add(presented)
        state.current = `rt-${state.issued}`
        return JSON.stringify({
          access_token: `at-${state.issued}`,
          token_type: "Bearer",
          expires_in: 3600,
          refresh_token: state.current,
        })
      }
      if (state.revoked) return invalidGrant()
      const reused = presented !== state.current && state.previous.has(presented)
      if (reused && mode === "strict") {
        state.revoked = true
        return invalidGrant()
      }
      if (presented !== state.current && !reused) return invalidGrant()
      const body = issue()
      response.writeHead(200, { "content-type": "application/json", "content-length": String(body.length) })
      if (state.broke) return response.end(body)
      state.broke = true
      response.write(body.slice(0, 20), () => response.socket?.destroy())
    }),
    (server) => ({ server, state }),
  )
}

describe("a refresh whose answer is lost after the server rotated", () => {
  const saved = { accessToken: "at-0", tokenType: "Bearer", scopes: [], expiresAt: 0, refreshToken: "rt-0" }
  const flowLayer = Layer.mergeAll(
    tokenEndpointLayer({ retry: { maxRetries: 2, baseDelay: "1 millis", maxDelay: "5 millis" } }),
    CredentialStore.layerMemory,
  ).pipe(Layer.provideMerge(HttpNode.layer))

  it.scopedLive("a server with a grace window accepts the retry, and the grant lives on", () =>
    Effect.gen(function* () {
      const { server } = yield* rotatingServer("grace")
      const user = yield* SavedCredentials.make({
        provider: providerAt(server),
        clientId: "app",
        clientSecret: "s",
        credentials: saved,
      })
      expect(yield* user.accessToken).toBe("at-2")
      expect((yield* user.credentials).refreshToken).toBe("rt-2")
      expect(server.requests.map((request) => request.form.refresh_token)).toEqual(["rt-0", "rt-0"])
    }).pipe(Effect.provide(flowLayer)),
  )

  it.scopedLive("a server with strict reuse detection ends it at once in ReauthenticationRequired", () =>
    Effect.gen(function* () {
      const { server, state } = yield* rotatingServer("strict")
      const user = yield* SavedCredentials.make({
        provider: providerAt(server),
        clientId: "app",
        clientSecret: "s",
        credentials: saved,
      })
      expect(yield* Effect.flip(user.accessToken)).toMatchObject({
        _tag: "ReauthenticationRequired",
        reason: "InvalidGrant",
      })
      // The lost answer held the only copy of rt-1: the grant was gone whether or not we retried.
      expect(state.revoked).toBe(true)
      expect(server.requests.map((request) => request.form.refresh_token)).toEqual(["rt-0", "rt-0"])
    }).pipe(Effect.provide(flowLayer)),
  )
})

describe("invalid_grant in whatever media type", () => {
  const saved = { accessToken: "at-0", tokenType: "Bearer", scopes: [], expiresAt: 0, refreshToken: "rt-0" }
  const bodies = [
    { type: "text/plain", body: "invalid_grant" },
    { type: "application/x-www-form-urlencoded", body: "error=invalid_grant&error_description=revoked" },
    { type: "text/html", body: "<h1>400</h1><p>error: invalid_grant (refresh token revoked)</p>" },
  ]
  for (const { type, body } of bodies) {
    it.scopedLive(`a refresh refused as ${type} ends in ReauthenticationRequired, with one request`, () =>
      Effect.gen(function* () {
        const server = yield* serve((_, response) =>
          response.writeHead(400, { "content-type": type }).end(body),
        )
        const user = yield* SavedCredentials.make({
          provider: providerAt(server),
          clientId: "app",
          credentials: saved,
        })
        expect(yield* Effect.flip(user.accessToken)).toMatchObject({
          _tag: "ReauthenticationRequired",
          reason: "InvalidGrant",
        })
        expect(server.requests).toHaveLength(1)
      }).pipe(
        Effect.provide(
          Layer.mergeAll(tokenEndpointLayer(), CredentialStore.layerMemory).pipe(
            Layer.provide(HttpNode.layer),
          ),
        ),
      ),
    )
  }
})
