import { inspect } from "node:util"
import * as HttpClient from "@effect/platform/HttpClient"
import * as HttpClientError from "@effect/platform/HttpClientError"
import * as HttpClientResponse from "@effect/platform/HttpClientResponse"
import { describe, expect, it } from "@effect/vitest"
import * as Effect from "effect/Effect"
import * as Fiber from "effect/Fiber"
import * as Option from "effect/Option"
import * as Redacted from "effect/Redacted"
import * as TestClock from "effect/TestClock"
import * as fc from "fast-check"
import {
  ConfigError,
  MalformedResponse,
  OAuthError,
  RateLimited,
  TimeoutError,
  TransportError,
} from "../src/Errors.js"
import { defineProvider, type TokenEndpointAuthMethod } from "../src/Provider.js"
import { isRetryable } from "../src/Retry.js"
import {
  type Grant,
  make,
  type RevocationRequest,
  type TokenEndpointError,
  type TokenEndpointOptions,
  type TokenRequest,
} from "../src/TokenEndpoint.js"
import { parseRetryAfter } from "../src/TokenResponse.js"
import * as Faulty from "./support/FaultyHttpClient.js"

const secret = {
  clientSecret: "client-secret-7Hq2",
  code: "auth-code-Zt5W",
  codeVerifier: "verifier-9Lk3mN0pQ4rS5tU6vW7xY8zA1bC2dE3fG4hJ5kK",
  refreshToken: "refresh-token-Rv8c",
  accessToken: "access-token-Ax4f",
} as const

const basicCredentials = btoa(`app-id:${secret.clientSecret}`)

const providerWith = (tokenEndpointAuthMethod: TokenEndpointAuthMethod, revocation = true) =>
  defineProvider({
    name: "example",
    authorizationEndpoint: "https://auth.example/authorize",
    tokenEndpoint: "https://auth.example/token?tenant=a",
    ...(revocation ? { revocationEndpoint: "https://auth.example/revoke" } : {}),
    tokenEndpointAuthMethod,
  })

const provider = providerWith("client_secret_basic")
const client = { clientId: "app-id", clientSecret: Redacted.make(secret.clientSecret) }

const grants = {
  clientCredentials: { type: "client_credentials", scopes: ["read", "write"] },
  authorizationCode: {
    type: "authorization_code",
    code: Redacted.make(secret.code),
    redirectUri: "https://app.example/callback",
    codeVerifier: Redacted.make(secret.codeVerifier),
  },
  refreshToken: { type: "refresh_token", refreshToken: Redacted.make(secret.refreshToken) },
} as const satisfies Record<string, Grant>

const tokenBody = { access_token: secret.accessToken, token_type: "Bearer", expires_in: 3600 }
const ok = Faulty.json(200, tokenBody)

/** Every error these tests see, checked for leaks as it is produced. */
const seenErrors: Array<TokenEndpointError> = []

const leakCandidates = [...Object.values(secret), basicCredentials]

const expectNoLeak = (error: unknown, candidates: ReadonlyArray<string> = leakCandidates): void => {
  const renderings = [String(error), (error as Error).message, JSON.stringify(error)]
  for (const rendering of renderings) {
    for (const candidate of candidates) expect(rendering).not.toContain(candidate)
  }
}

const setup = (script: ReadonlyArray<Faulty.Step>, options?: TokenEndpointOptions) => {
  const fake = Faulty.make(script)
  return Effect.map(
    make(options).pipe(Effect.provideService(HttpClient.HttpClient, fake.client)),
    (endpoint) => ({
      endpoint,
      fake,
    }),
  )
}

const failure = <A>(effect: Effect.Effect<A, TokenEndpointError>) =>
  Effect.tap(Effect.flip(effect), (error) =>
    Effect.sync(() => {
      expectNoLeak(error)
      seenErrors.push(error)
    }),
  )

const tokenRequest = (
  grant: Grant = grants.clientCredentials,
  extra?: Record<string, string>,
): TokenRequest => ({
  provider,
  client,
  grant,
  ...(extra ? { extra } : {}),
})

describe("TokenEndpoint.request: retries", () => {
  it.effect("503 then 200 succeeds after 2 requests", () =>
    Effect.gen(function* () {
      const { endpoint, fake } = yield* setup([Faulty.respond(503), ok])
      const fiber = yield* Effect.fork(endpoint.request(tokenRequest()))
      yield* TestClock.adjust("1 second")
      const response = yield* Fiber.join(fiber)
      expect(Redacted.value(response.accessToken)).toBe(secret.accessToken)
      expect(fake.requests).toHaveLength(2)
    }),
  )

  it.effect("a persistent 503 ends in TransportError after 1 + maxRetries requests", () =>
    Effect.gen(function* () {
      const { endpoint, fake } = yield* setup([Faulty.respond(503, "<h1>down</h1>", { "retry-after": "1" })])
      const fiber = yield* Effect.fork(failure(endpoint.request(tokenRequest())))
      yield* TestClock.adjust("1 minute")
      const error = yield* Fiber.join(fiber)
      expect(error).toBeInstanceOf(TransportError)
      expect(error).toMatchObject({
        _tag: "TransportError",
        reason: "ServerError",
        status: 503,
        retryAfterMs: 1000,
        url: "https://auth.example/token",
      })
      expect(fake.requests).toHaveLength(4)
    }),
  )

  it.effect("a 5xx with an OAuth error body is an OAuthError, retried", () =>
    Effect.gen(function* () {
      const { endpoint, fake } = yield* setup([Faulty.json(500, { error: "server_error" })], {
        retry: { maxRetries: 2 },
      })
      const fiber = yield* Effect.fork(failure(endpoint.request(tokenRequest())))
      yield* TestClock.adjust("1 minute")
      const error = yield* Fiber.join(fiber)
      expect(error).toMatchObject({
        _tag: "OAuthError",
        endpoint: "token",
        error: "server_error",
        status: 500,
      })
      expect(fake.requests).toHaveLength(3)
    }),
  )

  it.effect("429 with Retry-After in seconds waits that long, then succeeds", () =>
    Effect.gen(function* () {
      const { endpoint, fake } = yield* setup([Faulty.respond(429, "", { "retry-after": "2" }), ok])
      const fiber = yield* Effect.fork(endpoint.request(tokenRequest()))
      // The jittered backoff (at most 300 ms) is shorter, so Retry-After alone sets the wait.
      yield* TestClock.adjust("1999 millis")
      expect(yield* Fiber.poll(fiber)).toEqual(Option.none())
      expect(fake.requests).toHaveLength(1)
      yield* TestClock.adjust("1 millis")
      const response = yield* Fiber.join(fiber)
      expect(response.tokenType).toBe("Bearer")
      expect(fake.requests).toHaveLength(2)
    }),
  )

  it.effect("429 with Retry-After as an HTTP-date waits until that date", () =>
    Effect.gen(function* () {
      yield* TestClock.setTime(Date.UTC(2025, 0, 1, 12, 0, 0))
      const { endpoint, fake } = yield* setup([
        Faulty.respond(429, "", { "retry-after": "Wed, 01 Jan 2025 12:00:03 GMT" }),
        ok,
      ])
      const fiber = yield* Effect.fork(endpoint.request(tokenRequest()))
      yield* TestClock.adjust("2999 millis")
      expect(yield* Fiber.poll(fiber)).toEqual(Option.none())
      yield* TestClock.adjust("1 millis")
      const response = yield* Fiber.join(fiber)
      expect(response.receivedAt).toBe(Date.UTC(2025, 0, 1, 12, 0, 3))
      expect(fake.requests).toHaveLength(2)
    }),
  )

  it.effect("429 with a Retry-After past maxRetryAfter fails at once with RateLimited", () =>
    Effect.gen(function* () {
      const { endpoint, fake } = yield* setup([Faulty.respond(429, "", { "retry-after": "120" }), ok])
      const error = yield* failure(endpoint.request(tokenRequest()))
      expect(error).toBeInstanceOf(RateLimited)
      expect(error).toMatchObject({ _tag: "RateLimited", retryAfterMs: 120_000 })
      expect(fake.requests).toHaveLength(1)
    }),
  )

  it.effect("429 persistent without Retry-After ends in RateLimited after 1 + maxRetries requests", () =>
    Effect.gen(function* () {
      const { endpoint, fake } = yield* setup([Faulty.respond(429)])
      const fiber = yield* Effect.fork(failure(endpoint.request(tokenRequest())))
      yield* TestClock.adjust("1 minute")
      const error = yield* Fiber.join(fiber)
      expect(error).toMatchObject({ _tag: "RateLimited", retryAfterMs: undefined })
      expect(fake.requests).toHaveLength(4)
    }),
  )

  it.effect("a dropped connection then 200 succeeds after 2 requests", () =>
    Effect.gen(function* () {
      const { endpoint, fake } = yield* setup([Faulty.drop, ok])
      const fiber = yield* Effect.fork(endpoint.request(tokenRequest()))
      yield* TestClock.adjust("1 second")
      yield* Fiber.join(fiber)
      expect(fake.requests).toHaveLength(2)
    }),
  )

  it.effect("persistent dropped connections end in TransportError Network holding only the cause", () =>
    Effect.gen(function* () {
      const { endpoint, fake } = yield* setup([Faulty.drop], { retry: { maxRetries: 1 } })
      const fiber = yield* Effect.fork(failure(endpoint.request(tokenRequest())))
      yield* TestClock.adjust("1 minute")
      const error = yield* Fiber.join(fiber)
      expect(error).toMatchObject({
        _tag: "TransportError",
        reason: "Network",
        url: "https://auth.example/token",
      })
      // The HttpClientError holds the request with its secrets; only its cause is kept.
      expect((error as TransportError).cause).toBeInstanceOf(TypeError)
      expect(String((error as TransportError).cause)).toContain("socket hang up")
      expect(fake.requests).toHaveLength(2)
    }),
  )

  it.effect("a body broken mid-stream is a Network failure, retried", () =>
    Effect.gen(function* () {
      const { endpoint, fake } = yield* setup([
        Faulty.breakBody(200, `{"access_token":"${secret.accessToken}`),
        ok,
      ])
      const fiber = yield* Effect.fork(endpoint.request(tokenRequest()))
      yield* TestClock.adjust("1 second")
      yield* Fiber.join(fiber)
      expect(fake.requests).toHaveLength(2)
    }),
  )

  it.effect("a response slower than the timeout is a TimeoutError, not retried", () =>
    Effect.gen(function* () {
      const { endpoint, fake } = yield* setup([Faulty.delay("1 minute", ok), ok], { timeout: "5 seconds" })
      const fiber = yield* Effect.fork(failure(endpoint.request(tokenRequest(grants.refreshToken))))
      yield* TestClock.adjust("4999 millis")
      expect(yield* Fiber.poll(fiber)).toEqual(Option.none())
      yield* TestClock.adjust("1 millis")
      const error = yield* Fiber.join(fiber)
      expect(error).toBeInstanceOf(TimeoutError)
      expect(error).toMatchObject({
        _tag: "TimeoutError",
        url: "https://auth.example/token",
        timeoutMs: 5000,
      })
      yield* TestClock.adjust("5 minutes")
      expect(fake.requests).toHaveLength(1)
    }),
  )

  it.effect("the default timeout is 30 seconds", () =>
    Effect.gen(function* () {
      const { endpoint, fake } = yield* setup([Faulty.hang])
      const fiber = yield* Effect.fork(failure(endpoint.request(tokenRequest())))
      yield* TestClock.adjust("29999 millis")
      expect(yield* Fiber.poll(fiber)).toEqual(Option.none())
      yield* TestClock.adjust("1 millis")
      expect(yield* Fiber.join(fiber)).toMatchObject({ _tag: "TimeoutError", timeoutMs: 30_000 })
      expect(fake.requests).toHaveLength(1)
    }),
  )

  it.effect("400 invalid_grant is an OAuthError and is not retried", () =>
    Effect.gen(function* () {
      const { endpoint, fake } = yield* setup([
        Faulty.json(400, {
          error: "invalid_grant",
          error_description: "expired",
          error_uri: "https://x.example/e",
        }),
        ok,
      ])
      const error = yield* failure(endpoint.request(tokenRequest(grants.refreshToken)))
      expect(error).toBeInstanceOf(OAuthError)
      expect(error).toMatchObject({
        _tag: "OAuthError",
        endpoint: "token",
        error: "invalid_grant",
        errorDescription: "expired",
        errorUri: "https://x.example/e",
        status: 400,
      })
      expect(fake.requests).toHaveLength(1)
    }),
  )

  it.effect("an authorization_code exchange is never retried, even on 503", () =>
    Effect.gen(function* () {
      const { endpoint, fake } = yield* setup([Faulty.respond(503), ok])
      const error = yield* failure(endpoint.request(tokenRequest(grants.authorizationCode)))
      expect(error).toMatchObject({ _tag: "TransportError", reason: "ServerError", status: 503 })
      expect(fake.requests).toHaveLength(1)
    }),
  )

  it.effect("an authorization_code exchange is never retried after a dropped connection", () =>
    Effect.gen(function* () {
      const { endpoint, fake } = yield* setup([Faulty.drop, ok])
      const error = yield* failure(endpoint.request(tokenRequest(grants.authorizationCode)))
      expect(error).toMatchObject({ _tag: "TransportError", reason: "Network" })
      expect(fake.requests).toHaveLength(1)
    }),
  )

  it.effect("maxDelay caps each backoff delay", () =>
    Effect.gen(function* () {
      const { endpoint, fake } = yield* setup([Faulty.respond(503)], {
        retry: { maxRetries: 3, baseDelay: "1 second", maxDelay: "1 second" },
      })
      const fiber = yield* Effect.fork(failure(endpoint.request(tokenRequest())))
      // Uncapped, three jittered delays from 1 s would take at least 0.8 + 1.6 + 3.2 s.
      yield* TestClock.adjust("3 seconds")
      expect(Option.isSome(yield* Fiber.poll(fiber))).toBe(true)
      expect(fake.requests).toHaveLength(4)
    }),
  )

  it.effect("maxRetries 0 turns retrying off", () =>
    Effect.gen(function* () {
      const { endpoint, fake } = yield* setup([Faulty.respond(503), ok], { retry: { maxRetries: 0 } })
      yield* failure(endpoint.request(tokenRequest()))
      expect(fake.requests).toHaveLength(1)
    }),
  )
})

describe("TokenEndpoint.request: response processing", () => {
  it.effect("HTML on 200 is MalformedResponse NotJson", () =>
    Effect.gen(function* () {
      const { endpoint, fake } = yield* setup([
        Faulty.respond(200, "<html>login</html>", { "content-type": "text/html" }),
      ])
      const error = yield* failure(endpoint.request(tokenRequest()))
      expect(error).toBeInstanceOf(MalformedResponse)
      expect(error).toMatchObject({
        _tag: "MalformedResponse",
        reason: "NotJson",
        source: "token endpoint",
        status: 200,
      })
      expect(fake.requests).toHaveLength(1)
    }),
  )

  it.effect("JSON without access_token is InvalidTokenResponse naming the field", () =>
    Effect.gen(function* () {
      const { endpoint } = yield* setup([Faulty.json(200, { token_type: "Bearer" })])
      const error = yield* failure(endpoint.request(tokenRequest()))
      expect(error).toMatchObject({ _tag: "MalformedResponse", reason: "InvalidTokenResponse", status: 200 })
      expect((error as MalformedResponse).fields).toEqual(["access_token"])
      expect(error.message).toContain("access_token")
    }),
  )

  it.effect("an invalid token response names the failing paths but never their values", () =>
    Effect.gen(function* () {
      const { endpoint } = yield* setup([
        Faulty.json(200, {
          access_token: secret.accessToken,
          token_type: 7,
          expires_in: "soon",
          refresh_token: { value: secret.refreshToken },
        }),
      ])
      const error = yield* failure(endpoint.request(tokenRequest()))
      expect(error).toMatchObject({ _tag: "MalformedResponse", reason: "InvalidTokenResponse" })
      expect([...((error as MalformedResponse).fields ?? [])].sort()).toEqual(
        ["expires_in", "refresh_token", "token_type"].sort(),
      )
    }),
  )

  it.effect("an empty access_token and a negative expires_in are refused", () =>
    Effect.gen(function* () {
      const { endpoint } = yield* setup([
        Faulty.json(200, { access_token: "", token_type: "Bearer", expires_in: -1 }),
      ])
      const error = yield* failure(endpoint.request(tokenRequest()))
      expect((error as MalformedResponse).fields).toEqual(["access_token", "expires_in"])
    }),
  )

  it.effect("a JSON body that is not an object is InvalidTokenResponse", () =>
    Effect.gen(function* () {
      const { endpoint } = yield* setup([Faulty.json(200, [secret.accessToken])])
      const error = yield* failure(endpoint.request(tokenRequest()))
      expect(error).toMatchObject({ _tag: "MalformedResponse", reason: "InvalidTokenResponse" })
      // The body as a whole is wrong, not a member: no field to name (not an empty one).
      expect((error as MalformedResponse).fields).toBeUndefined()
    }),
  )

  it.effect("a 200 carrying `error` is an OAuthError", () =>
    Effect.gen(function* () {
      const { endpoint, fake } = yield* setup([
        Faulty.json(200, { error: "invalid_client", error_description: "bad" }),
      ])
      const error = yield* failure(endpoint.request(tokenRequest()))
      expect(error).toMatchObject({
        _tag: "OAuthError",
        endpoint: "token",
        error: "invalid_client",
        errorDescription: "bad",
        status: 200,
      })
      expect(fake.requests).toHaveLength(1)
    }),
  )

  it.effect("an error response with a malformed description still yields its code", () =>
    Effect.gen(function* () {
      const { endpoint } = yield* setup([Faulty.json(400, { error: "invalid_grant", error_description: 42 })])
      const error = yield* failure(endpoint.request(tokenRequest(grants.refreshToken)))
      expect(error).toMatchObject({ _tag: "OAuthError", error: "invalid_grant", errorDescription: undefined })
    }),
  )

  it.effect("a body over 1 MiB is TooLarge, streamed or declared", () =>
    Effect.gen(function* () {
      const big = JSON.stringify({ ...tokenBody, padding: "x".repeat(1024 * 1024) })
      const streamed = yield* setup([Faulty.respond(200, big)])
      const error = yield* failure(streamed.endpoint.request(tokenRequest()))
      expect(error).toMatchObject({ _tag: "MalformedResponse", reason: "TooLarge", status: 200 })
      const declared = yield* setup([
        Faulty.respond(200, "{}", { "content-length": String(2 * 1024 * 1024) }),
      ])
      const declaredError = yield* failure(declared.endpoint.request(tokenRequest()))
      expect(declaredError).toMatchObject({ _tag: "MalformedResponse", reason: "TooLarge" })
    }),
  )

  it.effect("4xx without a usable error body is MalformedResponse", () =>
    Effect.gen(function* () {
      const empty = yield* setup([Faulty.respond(401)])
      expect(yield* failure(empty.endpoint.request(tokenRequest()))).toMatchObject({
        _tag: "MalformedResponse",
        reason: "InvalidErrorResponse",
        source: "token endpoint",
        status: 401,
      })
      expect(empty.fake.requests).toHaveLength(1)
      const noCode = yield* setup([Faulty.json(400, { message: "nope" })])
      expect(yield* failure(noCode.endpoint.request(tokenRequest()))).toMatchObject({
        _tag: "MalformedResponse",
        reason: "InvalidErrorResponse",
        status: 400,
      })
    }),
  )

  it.effect("a redirect is refused as Redirected; other statuses are UnexpectedStatus", () =>
    Effect.gen(function* () {
      const { endpoint, fake } = yield* setup([
        Faulty.respond(302, "", { location: "https://elsewhere.example/" }),
        Faulty.respond(204),
      ])
      const error = yield* failure(endpoint.request(tokenRequest()))
      expect(error).toMatchObject({ _tag: "MalformedResponse", reason: "Redirected", status: 302 })
      expect(fake.requests).toHaveLength(1)
      const noContent = yield* failure(endpoint.request(tokenRequest()))
      expect(noContent).toMatchObject({ _tag: "MalformedResponse", reason: "UnexpectedStatus", status: 204 })
    }),
  )

  it.effect("recognises the error code in text/plain and form-encoded 4xx bodies", () =>
    Effect.gen(function* () {
      const { endpoint } = yield* setup([
        Faulty.respond(400, "invalid_grant: refresh token revoked", { "content-type": "text/plain" }),
        Faulty.respond(400, "error=invalid_grant&error_description=expired", {
          "content-type": "application/x-www-form-urlencoded",
        }),
        Faulty.respond(401, "Unauthorized", { "content-type": "text/plain" }),
      ])
      const plain = yield* failure(endpoint.request(tokenRequest(grants.refreshToken)))
      expect(plain).toMatchObject({ _tag: "OAuthError", error: "invalid_grant", status: 400 })
      // Only the code is taken from free text: the rest is not meant for the client.
      expect(plain).toMatchObject({ errorDescription: undefined })
      const form = yield* failure(endpoint.request(tokenRequest(grants.refreshToken)))
      expect(form).toMatchObject({ _tag: "OAuthError", error: "invalid_grant", errorDescription: "expired" })
      const prose = yield* failure(endpoint.request(tokenRequest(grants.refreshToken)))
      expect(prose).toMatchObject({ _tag: "MalformedResponse", reason: "InvalidErrorResponse", status: 401 })
    }),
  )

  it.effect("refuses a token_type other than Bearer, whatever its case", () =>
    Effect.gen(function* () {
      const { endpoint } = yield* setup([
        Faulty.json(200, { ...tokenBody, token_type: "mac" }),
        Faulty.json(200, { ...tokenBody, token_type: "DPoP" }),
        Faulty.json(200, { ...tokenBody, token_type: "BEARER" }),
      ])
      for (let i = 0; i < 2; i++) {
        expect(yield* failure(endpoint.request(tokenRequest()))).toMatchObject({
          _tag: "MalformedResponse",
          reason: "UnsupportedTokenType",
          fields: ["token_type"],
        })
      }
      expect((yield* endpoint.request(tokenRequest())).tokenType).toBe("Bearer")
    }),
  )

  it.effect("refuses an access token with whitespace, control or non-ASCII characters", () =>
    Effect.gen(function* () {
      const bad = ["abc\r\nX-Injected: 1", "abc def", "abc\tdef", "abc\u0000", "tökén", "abc\u2028"]
      const { endpoint } = yield* setup([
        ...bad.map((access_token) => Faulty.json(200, { ...tokenBody, access_token })),
        Faulty.json(200, { ...tokenBody, access_token: "printable|!$~'ok" }),
      ])
      for (const _ of bad) {
        const error = yield* failure(endpoint.request(tokenRequest()))
        expect(error).toMatchObject({
          _tag: "MalformedResponse",
          reason: "UnusableAccessToken",
          fields: ["access_token"],
        })
        expect(error.message).toContain("Authorization header")
      }
      // Lenient about printable ASCII outside RFC 6750's b64token: real providers issue such tokens.
      expect(Redacted.value((yield* endpoint.request(tokenRequest())).accessToken)).toBe("printable|!$~'ok")
    }),
  )

  it.effect("caps absurd lifetimes at one year and treats expires_in 0 as unknown", () =>
    Effect.gen(function* () {
      const { endpoint } = yield* setup([
        Faulty.respond(200, `{"access_token":"a","token_type":"Bearer","expires_in":1e308}`),
        Faulty.json(200, { ...tokenBody, expires_in: "1e308" }),
        Faulty.json(200, { ...tokenBody, expires_in: 0 }),
        Faulty.json(200, { ...tokenBody, expires_in: 1 }),
      ])
      // One year, written out: comparing with the exported constant would pass whatever it held.
      expect((yield* endpoint.request(tokenRequest())).expiresIn).toBe(31_536_000)
      expect((yield* endpoint.request(tokenRequest())).expiresIn).toBe(365 * 24 * 3600)
      expect((yield* endpoint.request(tokenRequest())).expiresIn).toBeUndefined()
      expect((yield* endpoint.request(tokenRequest())).expiresIn).toBe(1)
    }),
  )

  it.effect("decodes leniently: expires_in as a string, bearer in any case, null and unknown members", () =>
    Effect.gen(function* () {
      yield* TestClock.setTime(1_700_000_000_000)
      const { endpoint } = yield* setup([
        Faulty.json(200, {
          access_token: secret.accessToken,
          token_type: "bEaReR",
          expires_in: "3600",
          refresh_token: null,
          id_token: "header.payload.signature",
          extension: { nested: true },
        }),
      ])
      const response = yield* endpoint.request(tokenRequest())
      expect(response).toEqual({
        accessToken: expect.anything(),
        tokenType: "Bearer",
        expiresIn: 3600,
        idToken: "header.payload.signature",
        receivedAt: 1_700_000_000_000,
      })
      expect(Redacted.isRedacted(response.accessToken)).toBe(true)
      expect(String(response.accessToken)).not.toContain(secret.accessToken)
      expect(Redacted.value(response.accessToken)).toBe(secret.accessToken)
    }),
  )

  it.effect("keeps the refresh token, redacted", () =>
    Effect.gen(function* () {
      const { endpoint } = yield* setup([
        Faulty.json(200, {
          access_token: "a",
          token_type: "bearer",
          refresh_token: secret.refreshToken,
          expires_in: null,
        }),
      ])
      const response = yield* endpoint.request(tokenRequest())
      expect(response.tokenType).toBe("Bearer")
      expect(response.expiresIn).toBeUndefined()
      expect(Redacted.value(response.refreshToken!)).toBe(secret.refreshToken)
    }),
  )

  it.effect("splits scope on spaces; absent scope stays absent", () =>
    Effect.gen(function* () {
      const { endpoint } = yield* setup([
        Faulty.json(200, { ...tokenBody, scope: "user-read-private  user-read-email playlist-read-private" }),
        Faulty.json(200, tokenBody),
        Faulty.json(200, { ...tokenBody, scope: "" }),
      ])
      expect((yield* endpoint.request(tokenRequest())).scopes).toEqual([
        "user-read-private",
        "user-read-email",
        "playlist-read-private",
      ])
      expect((yield* endpoint.request(tokenRequest())).scopes).toBeUndefined()
      expect((yield* endpoint.request(tokenRequest())).scopes).toEqual([])
    }),
  )
})

describe("TokenEndpoint.request: odd answers, read as what they are", () => {
  it.effect("an access_token that is not a string is an invalid response, not an unusable token", () =>
    Effect.gen(function* () {
      const { endpoint } = yield* setup([Faulty.json(200, { ...tokenBody, access_token: 42 })])
      const error = yield* failure(endpoint.request(tokenRequest()))
      expect(error).toMatchObject({
        _tag: "MalformedResponse",
        reason: "InvalidTokenResponse",
        fields: ["access_token"],
      })
    }),
  )

  it.effect("an error member that is no code (a number, empty, or no object at all) is no OAuth error", () =>
    Effect.gen(function* () {
      const bodies = [`{"error":7}`, `{"error":""}`, "null"]
      const { endpoint } = yield* setup(bodies.map((body) => Faulty.respond(400, body)))
      for (const _ of bodies) {
        expect(yield* failure(endpoint.request(tokenRequest(grants.refreshToken)))).toMatchObject({
          _tag: "MalformedResponse",
          reason: "InvalidErrorResponse",
          status: 400,
        })
      }
    }),
  )

  it.effect("a form-encoded error body ending in a newline keeps its description", () =>
    Effect.gen(function* () {
      const { endpoint } = yield* setup([
        Faulty.respond(400, "error_description=refresh+token+expired&error=invalid_grant\r\n", {
          "content-type": "application/x-www-form-urlencoded",
        }),
      ])
      expect(yield* failure(endpoint.request(tokenRequest(grants.refreshToken)))).toMatchObject({
        _tag: "OAuthError",
        error: "invalid_grant",
        errorDescription: "refresh token expired",
      })
    }),
  )

  it.effect("300 and 399 answers are redirects, refused; to a revocation too, which is not done", () =>
    Effect.gen(function* () {
      const { endpoint } = yield* setup([Faulty.respond(300), Faulty.respond(399)])
      for (const status of [300, 399]) {
        expect(yield* failure(endpoint.request(tokenRequest()))).toMatchObject({
          _tag: "MalformedResponse",
          reason: "Redirected",
          status,
        })
      }
      const revocation = yield* setup([Faulty.respond(300)])
      const error = yield* failure(
        revocation.endpoint.revoke({ provider, client, token: Redacted.make(secret.refreshToken) }),
      )
      expect(error).toMatchObject({
        _tag: "MalformedResponse",
        reason: "Redirected",
        source: "revocation endpoint",
      })
    }),
  )

  it.effect("members the server left out are absent from the response, not present as undefined", () =>
    Effect.gen(function* () {
      const { endpoint } = yield* setup([ok])
      const response = yield* endpoint.request(tokenRequest())
      // A caller merging answers (`{ ...previous, ...response }`) would otherwise lose the earlier
      // id token to an `idToken: undefined`.
      expect(Object.keys(response).sort()).toEqual(["accessToken", "expiresIn", "receivedAt", "tokenType"])
    }),
  )
})

describe("TokenEndpoint.request: request shape", () => {
  it.effect("client_secret_basic: POST, form body, Accept JSON, Basic header, no client_id in the body", () =>
    Effect.gen(function* () {
      const { endpoint, fake } = yield* setup([ok])
      yield* endpoint.request(tokenRequest())
      const [request] = fake.requests
      expect(request).toMatchObject({ method: "POST", url: "https://auth.example/token?tenant=a" })
      expect(request!.headers["content-type"]).toBe("application/x-www-form-urlencoded;charset=UTF-8")
      expect(request!.headers.accept).toBe("application/json")
      expect(request!.headers.authorization).toBe(`Basic ${basicCredentials}`)
      expect(request!.form).toEqual({ grant_type: "client_credentials", scope: "read write" })
      expect(request!.body).toBe("grant_type=client_credentials&scope=read+write")
    }),
  )

  it.effect("client_secret_post: id and secret in the body, no Authorization header", () =>
    Effect.gen(function* () {
      const { endpoint, fake } = yield* setup([ok])
      yield* endpoint.request({ ...tokenRequest(), provider: providerWith("client_secret_post") })
      const [request] = fake.requests
      expect(request!.headers.authorization).toBeUndefined()
      expect(request!.form).toEqual({
        grant_type: "client_credentials",
        scope: "read write",
        client_id: "app-id",
        client_secret: secret.clientSecret,
      })
    }),
  )

  it.effect("none: the client id only", () =>
    Effect.gen(function* () {
      const { endpoint, fake } = yield* setup([ok])
      yield* endpoint.request({
        provider: providerWith("none"),
        client: { clientId: "public-app" },
        grant: grants.authorizationCode,
      })
      const [request] = fake.requests
      expect(request!.headers.authorization).toBeUndefined()
      expect(request!.form).toEqual({
        grant_type: "authorization_code",
        code: secret.code,
        redirect_uri: "https://app.example/callback",
        code_verifier: secret.codeVerifier,
        client_id: "public-app",
      })
    }),
  )

  it.effect("refresh_token grant sends the refresh token and the scopes, each parameter once", () =>
    Effect.gen(function* () {
      const { endpoint, fake } = yield* setup([ok])
      yield* endpoint.request(
        tokenRequest({ ...grants.refreshToken, scopes: ["read"] }, { resource: "https://api.example/" }),
      )
      const [request] = fake.requests
      expect(request!.form).toEqual({
        grant_type: "refresh_token",
        refresh_token: secret.refreshToken,
        scope: "read",
        resource: "https://api.example/",
      })
      expect(new Set(request!.formNames).size).toBe(request!.formNames.length)
    }),
  )

  it.effect("device_code grant: the URN grant type and the device code, nothing else", () =>
    Effect.gen(function* () {
      const { endpoint, fake } = yield* setup([ok])
      yield* endpoint.request(tokenRequest({ type: "device_code", deviceCode: Redacted.make("device-Q7") }))
      expect(fake.requests[0]!.form).toEqual({
        grant_type: "urn:ietf:params:oauth:grant-type:device_code",
        device_code: "device-Q7",
      })
    }),
  )

  it.effect("code and device grants neither send nor check scopes a JavaScript caller's grant carries", () =>
    Effect.gen(function* () {
      const { endpoint, fake } = yield* setup([ok])
      // Built the way untyped code does, by spreading options that include `scopes` (here with a
      // classic mistake, two scopes in one string): the exchange has no scope to get wrong.
      const withScopes = (grant: Grant) => ({ ...grant, scopes: ["openid profile"] }) as unknown as Grant
      const { codeVerifier: _, ...withoutVerifier } = grants.authorizationCode
      yield* endpoint.request(tokenRequest(withScopes(withoutVerifier)))
      yield* endpoint.request(
        tokenRequest(withScopes({ type: "device_code", deviceCode: Redacted.make("device-Q7") })),
      )
      // Exactly these members: RFC 6749 §4.1.3 has no scope, and no verifier was given.
      expect(fake.requests[0]!.form).toEqual({
        grant_type: "authorization_code",
        code: secret.code,
        redirect_uri: "https://app.example/callback",
      })
      expect(fake.requests[1]!.formNames).toEqual(["grant_type", "device_code"])
    }),
  )

  it.effect("configuration errors fail before any request", () =>
    Effect.gen(function* () {
      const { endpoint, fake } = yield* setup([ok])
      const noSecret = yield* failure(endpoint.request({ ...tokenRequest(), client: { clientId: "app-id" } }))
      expect(noSecret).toBeInstanceOf(ConfigError)
      const repeated = yield* failure(
        endpoint.request(tokenRequest(grants.clientCredentials, { scope: "admin" })),
      )
      expect(repeated).toMatchObject({ _tag: "ConfigError" })
      expect(repeated.message).toContain("scope")
      const badScope = yield* failure(
        endpoint.request(tokenRequest({ type: "client_credentials", scopes: ["a b"] })),
      )
      expect(badScope).toMatchObject({ _tag: "ConfigError" })
      expect(badScope.message).toContain('"a b" is not a valid scope')
      expect(fake.requests).toHaveLength(0)
    }),
  )
})

describe("TokenEndpoint.revoke", () => {
  const revocation: RevocationRequest = {
    provider,
    client,
    token: Redacted.make(secret.refreshToken),
    tokenTypeHint: "refresh_token",
  }

  it.effect("200 is success; the request carries the token, the hint and client authentication", () =>
    Effect.gen(function* () {
      const { endpoint, fake } = yield* setup([Faulty.respond(200, "ignored, not JSON")])
      yield* endpoint.revoke(revocation)
      expect(fake.requests).toHaveLength(1)
      const [request] = fake.requests
      expect(request).toMatchObject({ method: "POST", url: "https://auth.example/revoke" })
      expect(request!.headers.authorization).toBe(`Basic ${basicCredentials}`)
      expect(request!.headers["content-type"]).toBe("application/x-www-form-urlencoded;charset=UTF-8")
      expect(request!.form).toEqual({ token: secret.refreshToken, token_type_hint: "refresh_token" })
    }),
  )

  it.effect("without a hint, the request carries the token alone", () =>
    Effect.gen(function* () {
      const { endpoint, fake } = yield* setup([Faulty.respond(200)])
      yield* endpoint.revoke({ provider, client, token: Redacted.make(secret.accessToken) })
      expect(fake.requests[0]!.form).toEqual({ token: secret.accessToken })
    }),
  )

  it.effect("503 then 200 is retried (RFC 7009 §2.2.1)", () =>
    Effect.gen(function* () {
      const { endpoint, fake } = yield* setup([
        Faulty.respond(503, "", { "retry-after": "1" }),
        Faulty.respond(200),
      ])
      const fiber = yield* Effect.fork(endpoint.revoke(revocation))
      yield* TestClock.adjust("999 millis")
      expect(yield* Fiber.poll(fiber)).toEqual(Option.none())
      yield* TestClock.adjust("1 millis")
      yield* Fiber.join(fiber)
      expect(fake.requests).toHaveLength(2)
    }),
  )

  it.effect("an error body is an OAuthError from the revocation endpoint", () =>
    Effect.gen(function* () {
      const { endpoint, fake } = yield* setup([Faulty.json(400, { error: "unsupported_token_type" })])
      const error = yield* failure(endpoint.revoke(revocation))
      expect(error).toMatchObject({
        _tag: "OAuthError",
        endpoint: "revocation",
        error: "unsupported_token_type",
      })
      expect(fake.requests).toHaveLength(1)
    }),
  )

  it.effect("a provider without revocationEndpoint is a ConfigError, with no request", () =>
    Effect.gen(function* () {
      const { endpoint, fake } = yield* setup([Faulty.respond(200)])
      const error = yield* failure(
        endpoint.revoke({ ...revocation, provider: providerWith("client_secret_basic", false) }),
      )
      expect(error).toBeInstanceOf(ConfigError)
      expect(error.message).toContain("revocationEndpoint")
      expect(fake.requests).toHaveLength(0)
    }),
  )
})

describe("retry policy and Retry-After", () => {
  it("isRetryable: transport, 5xx and 429 only", () => {
    const url = "https://auth.example/token"
    expect(isRetryable(new TransportError({ reason: "Network", url }))).toBe(true)
    expect(isRetryable(new TransportError({ reason: "ServerError", url, status: 502 }))).toBe(true)
    expect(isRetryable(new RateLimited({}))).toBe(true)
    expect(
      isRetryable(new OAuthError({ endpoint: "token", error: "temporarily_unavailable", status: 503 })),
    ).toBe(true)
    expect(isRetryable(new OAuthError({ endpoint: "token", error: "invalid_grant", status: 400 }))).toBe(
      false,
    )
    expect(isRetryable(new OAuthError({ endpoint: "token", error: "invalid_grant" }))).toBe(false)
    expect(isRetryable(new TimeoutError({ url, timeoutMs: 1 }))).toBe(false)
    expect(isRetryable(new MalformedResponse({ reason: "NotJson", source: "token endpoint" }))).toBe(false)
    expect(isRetryable(new ConfigError({ reason: "x" }))).toBe(false)
  })

  it("parseRetryAfter reads delta seconds and HTTP-dates, and nothing else", () => {
    const now = Date.UTC(2025, 0, 1)
    expect(parseRetryAfter("0", now)).toBe(0)
    expect(parseRetryAfter(" 120 ", now)).toBe(120_000)
    expect(parseRetryAfter("Wed, 01 Jan 2025 00:00:05 GMT", now)).toBe(5000)
    expect(parseRetryAfter("Tue, 31 Dec 2024 23:59:00 GMT", now)).toBe(0)
    for (const invalid of [undefined, "", "-1", "1.5", "soon", "Wed, 32 Foo 2025"]) {
      expect(parseRetryAfter(invalid, now)).toBeUndefined()
    }
  })
})

describe("an echoing server", () => {
  it("leaks no arbitrary secret into an error, in any spelling it echoes", async () => {
    const word = fc.string({ unit: "grapheme", minLength: 6, maxLength: 24 })
    await fc.assert(
      fc.asyncProperty(
        fc.record({ clientSecret: word, refreshToken: word }),
        fc.constantFrom<TokenEndpointAuthMethod>("client_secret_basic", "client_secret_post"),
        fc.constantFrom(400, 200, 503),
        async (raw, method, status) => {
          const marked = {
            clientSecret: `SECRET${raw.clientSecret}`,
            refreshToken: `SECRET${raw.refreshToken}`,
          }
          // Fault injection: echoes the form body and the Authorization header, raw and JSON-escaped.
          const echo = HttpClient.make((request) => {
            const body = request.body._tag === "Uint8Array" ? new TextDecoder().decode(request.body.body) : ""
            const said = `${body} ${request.headers.authorization ?? ""} ${decodeURIComponent(body.replace(/\+/g, " "))}`
            return Effect.succeed(
              HttpClientResponse.fromWeb(
                request,
                Response.json(
                  {
                    error: "invalid_request",
                    error_description: said,
                    error_uri: `https://x.example/?${body}`,
                  },
                  { status },
                ),
              ),
            )
          })
          const endpoint = await Effect.runPromise(
            make({ retry: { maxRetries: 0 } }).pipe(Effect.provideService(HttpClient.HttpClient, echo)),
          )
          const error = await Effect.runPromise(
            Effect.flip(
              endpoint.request({
                provider: providerWith(method),
                client: { clientId: "app", clientSecret: Redacted.make(marked.clientSecret) },
                grant: { type: "refresh_token", refreshToken: Redacted.make(marked.refreshToken) },
              }),
            ),
          )
          expect(error).toMatchObject({ _tag: "OAuthError", error: "invalid_request" })
          const values = Object.values(marked)
          const encoded = values.map((value) => new URLSearchParams([["", value]]).toString().slice(1))
          const basic = btoa(`app:${encoded[0]}`)
          expectNoLeak(error, [...values, ...encoded, basic])
          expect(inspect(error, { showHidden: true, depth: 10 })).not.toContain("SECRET")
        },
      ),
      { numRuns: 100 },
    )
  })
})

describe("clients that report answers as errors", () => {
  it.effect("a client built with filterStatusOk: a 400 is still the server's OAuth error", () =>
    Effect.gen(function* () {
      const fake = Faulty.make([Faulty.json(400, { error: "invalid_grant" })])
      const endpoint = yield* make().pipe(
        Effect.provideService(HttpClient.HttpClient, HttpClient.filterStatusOk(fake.client)),
      )
      const error = yield* failure(endpoint.request(tokenRequest(grants.refreshToken)))
      expect(error).toMatchObject({ _tag: "OAuthError", error: "invalid_grant", status: 400 })
    }),
  )

  it.effect("a response the client failed to read is a Network failure, not an answer", () =>
    Effect.gen(function* () {
      // Fault injection: the client hands back a decode failure holding a 200 response.
      const broken = HttpClient.make((request) =>
        Effect.fail(
          new HttpClientError.ResponseError({
            request,
            response: HttpClientResponse.fromWeb(request, Response.json(tokenBody)),
            reason: "Decode",
          }),
        ),
      )
      const endpoint = yield* make({ retry: { maxRetries: 0 } }).pipe(
        Effect.provideService(HttpClient.HttpClient, broken),
      )
      const error = yield* failure(endpoint.request(tokenRequest()))
      expect(error).toMatchObject({ _tag: "TransportError", reason: "Network" })
    }),
  )
})

describe("a server that names the client secret", () => {
  it.effect("has it redacted from its error text under client_secret_basic too", () =>
    Effect.gen(function* () {
      const { endpoint } = yield* setup([
        Faulty.json(401, {
          error: "invalid_client",
          error_description: `client secret ${secret.clientSecret} has expired`,
        }),
      ])
      const error = yield* failure(endpoint.request(tokenRequest()))
      expect(error).toMatchObject({
        _tag: "OAuthError",
        errorDescription: "client secret [redacted] has expired",
      })
    }),
  )
})

describe("an echoing server and extra parameters", () => {
  it.effect("a client_assertion given through extra is redacted; other extra values are kept", () =>
    Effect.gen(function* () {
      const echo = HttpClient.make((request) =>
        Effect.succeed(
          HttpClientResponse.fromWeb(
            request,
            Response.json(
              {
                error: "invalid_client",
                error_description:
                  request.body._tag === "Uint8Array" ? new TextDecoder().decode(request.body.body) : "",
              },
              { status: 401 },
            ),
          ),
        ),
      )
      const endpoint = yield* make().pipe(Effect.provideService(HttpClient.HttpClient, echo))
      const error = yield* Effect.flip(
        endpoint.request({
          ...tokenRequest(),
          extra: { client_assertion: "eyJ.assertion-Secret-Q1.sig", resource: "https://api.example/" },
        }),
      )
      expect(error).toMatchObject({ _tag: "OAuthError", error: "invalid_client" })
      const description = (error as OAuthError).errorDescription ?? ""
      expect(description).not.toContain("assertion-Secret-Q1")
      expect(description).toContain("client_assertion=[redacted]")
      expect(description).toContain("resource=https%3A%2F%2Fapi.example%2F")
    }),
  )
})

describe("no secret in any error", () => {
  it("every error these tests produced is free of secrets and tokens", () => {
    // Filled by the tests above (vitest runs a file's tests in order).
    expect(seenErrors.length).toBeGreaterThanOrEqual(25)
    for (const error of seenErrors) expectNoLeak(error)
  })

  it("holds for arbitrary secrets across every fault", async () => {
    const faults = (token: string): ReadonlyArray<Faulty.Step> => [
      Faulty.respond(503),
      Faulty.respond(429, "", { "retry-after": "999" }),
      Faulty.json(400, { error: "invalid_grant" }),
      Faulty.json(200, { error: "invalid_client" }),
      Faulty.json(200, { access_token: token, token_type: 1 }),
      Faulty.json(200, { access_token: token, token_type: "Bearer", expires_in: "never" }),
      Faulty.respond(200, `<p>${token}</p>`),
      Faulty.breakBody(200, `{"access_token":"${token}"`),
      Faulty.respond(401),
      Faulty.drop,
    ]
    const word = fc.string({ unit: "grapheme", minLength: 6, maxLength: 24 })
    await fc.assert(
      fc.asyncProperty(
        fc.record({
          clientSecret: word,
          refreshToken: word,
          accessToken: word,
          code: word,
          codeVerifier: word,
        }),
        fc.integer({ min: 0, max: faults("").length - 1 }),
        fc.constantFrom<TokenEndpointAuthMethod>("client_secret_basic", "client_secret_post"),
        fc.constantFrom("refresh_token", "authorization_code"),
        async (secrets, faultIndex, method, grantType) => {
          const marked = Object.fromEntries(Object.entries(secrets).map(([k, v]) => [k, `SECRET${v}`])) as {
            [K in keyof typeof secrets]: string
          }
          const fake = Faulty.make([faults(marked.accessToken)[faultIndex]!])
          const endpoint = await Effect.runPromise(
            make({ retry: { maxRetries: 0 } }).pipe(
              Effect.provideService(HttpClient.HttpClient, fake.client),
            ),
          )
          const grant: Grant =
            grantType === "refresh_token"
              ? { type: "refresh_token", refreshToken: Redacted.make(marked.refreshToken) }
              : {
                  type: "authorization_code",
                  code: Redacted.make(marked.code),
                  redirectUri: "https://app.example/cb",
                  codeVerifier: Redacted.make(marked.codeVerifier),
                }
          const error = await Effect.runPromise(
            Effect.flip(
              endpoint.request({
                provider: providerWith(method),
                client: { clientId: "app", clientSecret: Redacted.make(marked.clientSecret) },
                grant,
              }),
            ),
          )
          const values = Object.values(marked)
          const encoded = values.map((value) => new URLSearchParams([["", value]]).toString().slice(1))
          const basic = btoa(`app:${new URLSearchParams([["", marked.clientSecret]]).toString().slice(1)}`)
          expectNoLeak(error, [...values, ...encoded, basic])
        },
      ),
      { numRuns: 150 },
    )
  })
})
