/**
 * The TokenSource interface as callers use it (snapshots, peeking, the cached path, revoke and
 * stop), through the public flows; found as surviving mutants (packages/core/MUTATION.md). The
 * token endpoint is a scripted fault injector.
 */

import * as HttpClient from "@effect/platform/HttpClient"
import { describe, expect, it, vi } from "@effect/vitest"
import {
  ClientCredentials,
  type Credentials,
  DeviceAuthorization,
  SavedCredentials,
  StaticToken,
  type TokenSourceSnapshot,
  unsavedCredentials,
} from "@grantflow/core"
import * as Effect from "effect/Effect"
import * as Exit from "effect/Exit"
import * as Fiber from "effect/Fiber"
import * as Layer from "effect/Layer"
import * as Scope from "effect/Scope"
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
        // Callers that find no usable token share one promise while they wait.
        expect(app.source.getAccessToken()).toBe(app.source.getAccessToken())
        expect(yield* token()).toBe("access-1")
        // Once a token is held, every call is answered by one settled promise, not a new one.
        const held = app.source.getAccessToken()
        yield* Effect.promise(() => held)
        expect(app.source.getAccessToken()).toBe(held)
        expect(yield* token()).toBe("access-1")
        expect((yield* Effect.promise(() => app.source.getCredentials())).accessToken).toBe("access-1")
        yield* TestClock.adjust("1 hour")
        expect((yield* Effect.promise(() => app.source.getCredentials())).accessToken).toBe("access-2")
        expect(yield* token()).toBe("access-2")
        expect(server.requests).toHaveLength(2)
      }),
  )
})

describe("TokenSource waiting", () => {
  it.scoped("a caller waits through every busy step, not just the first (a device login)", () =>
    Effect.gen(function* () {
      yield* TestClock.setTime(now)
      const { server, layer } = harness([
        FaultyHttpClient.json(200, {
          device_code: "device-1",
          user_code: "WDJB-MJHT",
          verification_uri: "https://auth.example.com/device",
          expires_in: 600,
          interval: 1,
        }),
        FaultyHttpClient.json(400, { error: "authorization_pending" }),
        tokenResponse(1, { refresh_token: "refresh-1" }),
      ])
      const prompts: Array<string> = []
      // Requesting the code, waiting for the user, polling, waiting again, polling: all busy steps.
      const login = yield* DeviceAuthorization.make({
        provider: {
          ...provider,
          deviceAuthorizationEndpoint: "https://auth.example.com/device_authorization",
        },
        clientId: "cli",
        onPrompt: (prompt) => void prompts.push(prompt.userCode),
      }).pipe(
        Effect.provide(Layer.merge(layer, Layer.succeed(HttpClient.HttpClient, server.client))),
        Effect.fork,
      )
      yield* TestClock.adjust("1 second")
      yield* TestClock.adjust("1 second")
      const user = yield* Fiber.join(login)
      expect(prompts).toEqual(["WDJB-MJHT"])
      expect(yield* user.accessToken).toBe("access-1")
      expect(server.requests).toHaveLength(3)
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

  it.effect("closing the scope waits until a renewal in flight is saved and told to the app", () =>
    Effect.gen(function* () {
      yield* TestClock.setTime(now)
      const { server, layer } = harness([
        FaultyHttpClient.delay("1 second", tokenResponse(1, { refresh_token: "refresh-1" })),
      ])
      let closed = false
      const toldAfterClose: Array<boolean> = []
      const scope = yield* Scope.make()
      const user = yield* SavedCredentials.make({
        provider,
        clientId: "spa",
        credentials: { ...saved, expiresAt: now - 1 },
        onCredentialsRefreshed: () => void toldAfterClose.push(closed),
      }).pipe(Effect.provide(layer), Scope.extend(scope))
      const waiting = user.source.getAccessToken().catch((error: unknown) => error)
      const settle = Effect.promise(() => new Promise(setImmediate))
      while (server.requests.length < 1) yield* settle
      const closing = yield* Effect.fork(
        Effect.andThen(
          Scope.close(scope, Exit.void),
          Effect.sync(() => {
            closed = true
          }),
        ),
      )
      for (let i = 0; i < 5; i++) yield* settle
      expect(closed).toBe(false)
      yield* TestClock.adjust("1 second")
      yield* Fiber.join(closing)
      // The rotated refresh token reached the app before the source was released.
      expect(toldAfterClose).toEqual([false])
      expect(yield* Effect.promise(() => waiting)).toMatchObject({ _tag: "ConfigError" })
    }),
  )

  it.scoped("calls on a finished or stopped source send the flow nothing (no development warnings)", () =>
    Effect.gen(function* () {
      yield* TestClock.setTime(now)
      const { layer } = harness([FaultyHttpClient.respond(200)])
      const user = yield* SavedCredentials.make({ provider, clientId: "spa", credentials: saved }).pipe(
        Effect.provide(layer),
      )
      const warn = vi.spyOn(console, "warn")
      try {
        yield* user.revoke
        expect(yield* Effect.flip(user.accessToken)).toMatchObject({ _tag: "ReauthenticationRequired" })
        // Stopping a finished source changes nothing: the revocation is what ended it.
        user.source.stop()
        expect(yield* Effect.flip(user.accessToken)).toMatchObject({ _tag: "ReauthenticationRequired" })
        expect(warn).not.toHaveBeenCalled()
      } finally {
        warn.mockRestore()
      }
    }),
  )

  it("unsavedCredentials finds nothing in an error that kept none", () => {
    expect(unsavedCredentials(new Error("plain"))).toBeUndefined()
    expect(unsavedCredentials(undefined)).toBeUndefined()
  })
})
