import { describe, expect, it } from "@effect/vitest"
import {
  AuthorizationCode,
  AuthorizationRequest,
  ClientCredentials,
  Entropy,
  SavedCredentials,
} from "@grantflow/core"
import * as Effect from "effect/Effect"
import * as FaultyHttpClient from "../support/FaultyHttpClient.js"
import { harness, provider, tokenResponse } from "../support/flowHarness.js"

// Real time with millisecond delays: the retry schedule and timeouts run as they would in production.
const fast = {
  timeout: "200 millis",
  retry: { maxRetries: 2, baseDelay: "1 millis", maxDelay: "5 millis" },
} as const
const saved = {
  accessToken: "access-0",
  tokenType: "Bearer",
  scopes: [],
  expiresAt: 0,
  refreshToken: "refresh-0",
}

describe("faults, per flow", () => {
  it.scopedLive("client credentials rides out a 503", () =>
    Effect.gen(function* () {
      const { server, layer } = harness([FaultyHttpClient.respond(503), tokenResponse(1)], fast)
      const app = yield* ClientCredentials.make({ provider, clientId: "a", clientSecret: "s" }).pipe(
        Effect.provide(layer),
      )
      expect(yield* app.accessToken).toBe("access-1")
      expect(server.requests).toHaveLength(2)
    }),
  )

  it.scopedLive("saved credentials ride out a dropped connection", () =>
    Effect.gen(function* () {
      const { server, layer } = harness([FaultyHttpClient.drop, tokenResponse(1)], fast)
      const user = yield* SavedCredentials.make({ provider, clientId: "a", credentials: saved }).pipe(
        Effect.provide(layer),
      )
      expect(yield* user.accessToken).toBe("access-1")
      expect(server.requests).toHaveLength(2)
    }),
  )

  it.scopedLive("a long Retry-After fails at once with RateLimited; the next call tries again", () =>
    Effect.gen(function* () {
      const { server, layer } = harness(
        [FaultyHttpClient.respond(429, "", { "retry-after": "3600" }), tokenResponse(1)],
        fast,
      )
      const user = yield* SavedCredentials.make({ provider, clientId: "a", credentials: saved }).pipe(
        Effect.provide(layer),
      )
      expect(yield* Effect.flip(user.accessToken)).toMatchObject({
        _tag: "RateLimited",
        retryAfterMs: 3_600_000,
      })
      expect(server.requests).toHaveLength(1)
      expect(yield* user.accessToken).toBe("access-1")
    }),
  )

  it.scopedLive("a refresh that outlives its timeout ends in TimeoutError after one request", () =>
    Effect.gen(function* () {
      const { server, layer } = harness([FaultyHttpClient.hang], fast)
      const user = yield* SavedCredentials.make({ provider, clientId: "a", credentials: saved }).pipe(
        Effect.provide(layer),
      )
      expect(yield* Effect.flip(user.accessToken)).toMatchObject({ _tag: "TimeoutError" })
      expect(server.requests).toHaveLength(1)
    }),
  )

  it.scopedLive("an authorization code is never retried, even after a 503", () =>
    Effect.gen(function* () {
      const { server, layer } = harness([FaultyHttpClient.respond(503), tokenResponse(1)], fast)
      const { pending } = yield* AuthorizationRequest.begin({
        provider,
        clientId: "web",
        redirectUri: "https://app.example.com/cb",
      }).pipe(Effect.provide(Entropy.layer))
      const callbackUrl = `https://app.example.com/cb?code=c&state=${pending.state}&iss=${provider.issuer}`
      const error = yield* Effect.flip(
        AuthorizationCode.complete({
          provider,
          clientId: "web",
          clientSecret: "s",
          pending,
          callbackUrl,
        }).pipe(Effect.provide(layer)),
      )
      expect(error).toMatchObject({ _tag: "TransportError", status: 503 })
      expect(server.requests).toHaveLength(1)
    }),
  )

  it.scopedLive("a malformed refresh response is the caller's error and nothing is adopted", () =>
    Effect.gen(function* () {
      const { server, layer } = harness(
        [FaultyHttpClient.respond(200, "<html>oops</html>"), tokenResponse(2)],
        fast,
      )
      const user = yield* SavedCredentials.make({ provider, clientId: "a", credentials: saved }).pipe(
        Effect.provide(layer),
      )
      expect(yield* Effect.flip(user.accessToken)).toMatchObject({
        _tag: "MalformedResponse",
        reason: "NotJson",
      })
      expect(yield* user.accessToken).toBe("access-2")
      expect(server.requests.map((r) => r.form.refresh_token)).toEqual(["refresh-0", "refresh-0"])
    }),
  )
})
