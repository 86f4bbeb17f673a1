import { describe, expect, it } from "@effect/vitest"
import { ClientCredentials } from "@grantflow/core"
import * as Effect from "effect/Effect"
import * as TestClock from "effect/TestClock"
import * as FaultyHttpClient from "../support/FaultyHttpClient.js"
import { harness, provider, tokenResponse } from "../support/flowHarness.js"

const options = { provider, clientId: "app", clientSecret: "s3cret", scopes: ["read"] }

describe("client credentials", () => {
  it.scoped("1,000 concurrent callers share one token request", () =>
    Effect.gen(function* () {
      const { server, layer } = harness([tokenResponse(1), tokenResponse(2)])
      const app = yield* ClientCredentials.make(options).pipe(Effect.provide(layer))
      const tokens = yield* Effect.promise(() =>
        Promise.all(Array.from({ length: 1000 }, () => app.source.getAccessToken())),
      )
      expect(new Set(tokens)).toEqual(new Set(["access-1"]))
      expect(server.requests).toHaveLength(1)
      expect(server.requests[0]!.form).toMatchObject({ grant_type: "client_credentials", scope: "read" })
    }),
  )

  it.scoped("re-requests when the token is due, by the clock", () =>
    Effect.gen(function* () {
      const { server, layer } = harness([tokenResponse(1), tokenResponse(2)])
      const app = yield* ClientCredentials.make(options).pipe(Effect.provide(layer))
      expect(yield* app.accessToken).toBe("access-1")
      yield* TestClock.adjust("3539 seconds")
      expect(yield* app.accessToken).toBe("access-1")
      expect(server.requests).toHaveLength(1)
      yield* TestClock.adjust("1 second")
      expect(yield* app.accessToken).toBe("access-2")
      expect(server.requests).toHaveLength(2)
    }),
  )

  it.scoped("every waiting caller gets the same failure, and the next call tries again", () =>
    Effect.gen(function* () {
      const { server, layer } = harness([
        FaultyHttpClient.json(401, { error: "invalid_client" }),
        tokenResponse(1),
      ])
      const app = yield* ClientCredentials.make(options).pipe(Effect.provide(layer))
      const results = yield* Effect.promise(() =>
        Promise.allSettled(Array.from({ length: 100 }, () => app.source.getAccessToken())),
      )
      expect(results.every((r) => r.status === "rejected" && r.reason._tag === "OAuthError")).toBe(true)
      expect(server.requests).toHaveLength(1)
      expect(yield* app.accessToken).toBe("access-1")
      expect(server.requests).toHaveLength(2)
    }),
  )

  it.scoped("the cached path hands back the same promise without new work", () =>
    Effect.gen(function* () {
      const { layer } = harness([tokenResponse(1)])
      const app = yield* ClientCredentials.make(options).pipe(Effect.provide(layer))
      yield* app.accessToken
      const first = app.source.getAccessToken()
      expect(app.source.getAccessToken()).toBe(first)
      expect(app.source.peekAccessToken()).toBe("access-1")
    }),
  )
})
