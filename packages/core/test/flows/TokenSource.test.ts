/**
 * The TokenSource interface as callers use it (snapshots, peeking, the cached path, revoke and
 * stop), through the public flows; found as surviving mutants (packages/core/MUTATION.md). The
 * token endpoint is a scripted fault injector.
 */
import { describe, expect, it } from "@effect/vitest"
import {
  ClientCredentials,
  type Credentials,
  SavedCredentials,
  StaticToken,
  type TokenSourceSnapshot,
  unsavedCredentials,
} from "@grantflow/core"
import * as Effect from "effect/Effect"
import * as TestClock from "effect/TestClock"
import * as FaultyHttpClient from "../support/FaultyHttpClient.js"
import { harness, provider, tokenResponse } from "../support/flowHarness.js"

const now = 1_700_000_000_000
const options = { provider, clientId: "app", clientSecret: "s3cret", scopes: ["read"] }
const saved: Credentials = {
  accessToken: "access-0",
  tokenType: "Bearer",
  scopes: ["read"],
  expiresAt: now + 3_600_000,
  refreshToken: "refresh-0",
}

const clientCredentialsSource = (script: ReadonlyArray<FaultyHttpClient.Step>) =>
  Effect.gen(function* () {
    yield* TestClock.setTime(now)
    const { server, layer } = harness(script)
    const app = yield* ClientCredentials.make(options).pipe(Effect.provide(layer))
    return { server, app }
  })

describe("TokenSource snapshots", () => {
  it.scoped("show the request without a token, then the token's state; unsubscribing stops them", () =>
    Effect.gen(function* () {
      const { app } = yield* clientCredentialsSource([tokenResponse(1), tokenResponse(2)])
      const seen: Array<TokenSourceSnapshot> = []
      const unsubscribe = app.source.subscribe((snapshot) => seen.push(snapshot))
      expect(yield* app.accessToken).toBe("access-1")
      expect(seen).toEqual([
        { status: "renewing", authorized: false, expiresAt: undefined, scopes: [], error: undefined },
        { status: "valid", authorized: true, expiresAt: now + 3_600_000, scopes: ["read"], error: undefined },
      ])
      unsubscribe()
      yield* TestClock.adjust("1 hour")
      expect(yield* app.accessToken).toBe("access-2")
      expect(seen).toHaveLength(2)
    }),
  )

  it.scoped("carry the failure of the last request", () =>
    Effect.gen(function* () {
      const { app } = yield* clientCredentialsSource([
        FaultyHttpClient.json(401, { error: "invalid_client" }),
      ])
      const seen: Array<TokenSourceSnapshot> = []
      app.source.subscribe((snapshot) => seen.push(snapshot))
      yield* Effect.flip(app.accessToken)
      expect(seen.at(-1)).toMatchObject({
        status: "failed",
        authorized: false,
        error: { _tag: "OAuthError", error: "invalid_client" },
      })
    }),
  )
})

describe("TokenSource tokens", () => {
  it.scoped("peek answers only a token usable now: none before the first, none once it is due", () =>
    Effect.gen(function* () {
      const { server, app } = yield* clientCredentialsSource([tokenResponse(1), tokenResponse(2)])
      expect(app.source.peekAccessToken()).toBeUndefined()
      expect(yield* app.accessToken).toBe("access-1")
      expect(app.source.peekAccessToken()).toBe("access-1")
      // Due (within the 60 s margin) but not expired: a source that can renew does so first.
      yield* TestClock.adjust("3540 seconds")
      expect(app.source.peekAccessToken()).toBeUndefined()
      expect(server.requests).toHaveLength(1)
    }),
  )

  it.scoped("a token that cannot be renewed is peeked until it expires, and not at its expiry", () =>
    Effect.gen(function* () {
      yield* TestClock.setTime(now)
      const fixed = yield* StaticToken.make({ accessToken: "given", expiresAt: now + 60_000 })
      yield* TestClock.adjust("59999 millis")
      expect(fixed.source.peekAccessToken()).toBe("given")
      yield* TestClock.adjust("1 millis")
      expect(fixed.source.peekAccessToken()).toBeUndefined()
    }),
  )

  it.scoped(
    "the Promise interface hands out the renewed token and credentials once the held ones are due",
    () =>
      Effect.gen(function* () {
        const { server, app } = yield* clientCredentialsSource([tokenResponse(1), tokenResponse(2)])
        const token = () => Effect.promise(() => app.source.getAccessToken())
        expect(yield* token()).toBe("access-1")
        expect(yield* token()).toBe("access-1")
        expect((yield* Effect.promise(() => app.source.getCredentials())).accessToken).toBe("access-1")
        yield* TestClock.adjust("1 hour")
        expect((yield* Effect.promise(() => app.source.getCredentials())).accessToken).toBe("access-2")
        expect(yield* token()).toBe("access-2")
        expect(server.requests).toHaveLength(2)
      }),
  )
})

describe("TokenSource revoke and stop", () => {
  it.scoped("a refused revocation is the caller's error, the credentials are forgotten all the same", () =>
    Effect.gen(function* () {
      yield* TestClock.setTime(now)
      const { server, layer } = harness([FaultyHttpClient.json(400, { error: "unsupported_token_type" })])
      const user = yield* SavedCredentials.make({ provider, clientId: "spa", credentials: saved }).pipe(
        Effect.provide(layer),
      )
      expect(yield* Effect.flip(user.revoke)).toMatchObject({
        _tag: "OAuthError",
        endpoint: "revocation",
        error: "unsupported_token_type",
      })
      expect(yield* Effect.flip(user.accessToken)).toMatchObject({
        _tag: "ReauthenticationRequired",
        reason: "Revoked",
      })
      // Nothing is left to revoke: a second revoke sends nothing and succeeds.
      yield* user.revoke
      expect(server.requests).toHaveLength(1)
    }),
  )

  it.scoped(
    "a source stopped mid-renewal answers every call, waiting or later, with a ConfigError saying so",
    () =>
      Effect.gen(function* () {
        const { server, app } = yield* clientCredentialsSource([
          FaultyHttpClient.json(401, { error: "invalid_client" }),
          FaultyHttpClient.delay("1 second", tokenResponse(1)),
          tokenResponse(2),
        ])
        // A failed request first: its error is the past, not the answer to a call after stop().
        yield* Effect.flip(app.accessToken)
        const waiting = app.source.getAccessToken().catch((error: unknown) => error)
        // The request goes out on the flow's own fibers: let them run until it reaches the server.
        while (server.requests.length < 2) yield* Effect.promise(() => new Promise(setImmediate))
        app.source.stop()
        yield* TestClock.adjust("1 second")
        const stopped = { _tag: "ConfigError", message: expect.stringContaining("was stopped") }
        expect(yield* Effect.promise(() => waiting)).toMatchObject(stopped)
        expect(yield* Effect.flip(app.accessToken)).toMatchObject(stopped)
        expect(yield* Effect.flip(app.credentials)).toMatchObject(stopped)
        expect(yield* Effect.flip(app.revoke)).toMatchObject(stopped)
        expect(app.source.peekAccessToken()).toBeUndefined()
        expect(server.requests).toHaveLength(2)
      }),
  )

  it.scoped(
    "a stopped source still answers the credentials it holds while usable, and then a ConfigError",
    () =>
      Effect.gen(function* () {
        const { server, app } = yield* clientCredentialsSource([tokenResponse(1), tokenResponse(2)])
        expect(yield* app.accessToken).toBe("access-1")
        app.source.stop()
        // What an app persists after stopping a source.
        expect((yield* app.credentials).accessToken).toBe("access-1")
        yield* TestClock.adjust("1 hour")
        expect(app.source.peekAccessToken()).toBeUndefined()
        const outcome = (call: () => Promise<unknown>) =>
          Effect.promise(() =>
            call().then(
              (value) => ({ value }),
              (error: unknown) => ({ error }),
            ),
          )
        for (const call of [() => app.source.getAccessToken(), () => app.source.getCredentials()]) {
          expect(yield* outcome(call)).toMatchObject({ error: { _tag: "ConfigError" } })
        }
        expect(server.requests).toHaveLength(1)
      }),
  )

  it("unsavedCredentials finds nothing in an error that kept none", () => {
    expect(unsavedCredentials(new Error("plain"))).toBeUndefined()
    expect(unsavedCredentials(undefined)).toBeUndefined()
  })
})
