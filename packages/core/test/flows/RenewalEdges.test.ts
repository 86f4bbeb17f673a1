/**
 * Behaviours of the renewal path that no other test pins, each found as a surviving mutant
 * (packages/core/MUTATION.md). The token endpoint and the store are scripted fault injectors.
 */
import { describe, expect, it } from "@effect/vitest"
import { CredentialStore, type Credentials, SavedCredentials } from "@grantflow/core"
import * as Effect from "effect/Effect"
import * as Layer from "effect/Layer"
import * as Option from "effect/Option"
import * as TestClock from "effect/TestClock"
import { PersistenceError } from "../../src/Errors.js"
import * as FaultyHttpClient from "../support/FaultyHttpClient.js"
import { harness, provider, tokenResponse } from "../support/flowHarness.js"

const now = 1_700_000_000_000
const saved: Credentials = {
  accessToken: "access-0",
  tokenType: "Bearer",
  scopes: ["user-read-email"],
  expiresAt: now - 1,
  refreshToken: "refresh-0",
  grantId: "grant-1",
}
const base = { provider, clientId: "spa", storeKey: "user-1" }

/** A memory store whose `set` fails (fault injection) while `failures` is above zero. */
const flakyStore = (failures: { count: number }) =>
  Effect.map(CredentialStore.makeMemory, (store) => ({
    ...store,
    set: (key: string, credentials: Credentials) =>
      failures.count-- > 0
        ? Effect.fail(new PersistenceError({ reason: "Store" }))
        : store.set(key, credentials),
  }))

const withStore = (
  layer: ReturnType<typeof harness>["layer"],
  store: CredentialStore.CredentialStoreService,
) => Layer.merge(layer, Layer.succeed(CredentialStore.CredentialStore, store))

describe("renewal edges", () => {
  it.scoped(
    "an OAuth error other than invalid_grant fails the call but keeps the session and the store",
    () =>
      Effect.gen(function* () {
        yield* TestClock.setTime(now)
        const { server, layer } = harness([
          FaultyHttpClient.json(401, { error: "invalid_client" }),
          tokenResponse(1, { refresh_token: "refresh-1" }),
        ])
        const store = yield* CredentialStore.makeMemory
        yield* store.set("user-1", saved)
        const user = yield* SavedCredentials.make({ ...base, credentials: saved }).pipe(
          Effect.provide(withStore(layer, store)),
        )
        expect(yield* Effect.flip(user.accessToken)).toMatchObject({
          _tag: "OAuthError",
          error: "invalid_client",
        })
        expect(Option.getOrUndefined(yield* store.get("user-1"))?.refreshToken).toBe("refresh-0")
        // The next call tries again with the same refresh token, and succeeds.
        expect(yield* user.accessToken).toBe("access-1")
        expect(server.requests.map((request) => request.form.refresh_token)).toEqual([
          "refresh-0",
          "refresh-0",
        ])
      }),
  )

  it.scoped("revoke after a failed renewal still revokes at the server and forgets the store", () =>
    Effect.gen(function* () {
      yield* TestClock.setTime(now)
      const { server, layer } = harness([
        FaultyHttpClient.json(503, { error: "temporarily_unavailable" }),
        FaultyHttpClient.respond(200),
      ])
      const store = yield* CredentialStore.makeMemory
      yield* store.set("user-1", saved)
      const user = yield* SavedCredentials.make({ ...base, credentials: saved }).pipe(
        Effect.provide(withStore(layer, store)),
      )
      expect(yield* Effect.flip(user.accessToken)).toMatchObject({ _tag: "OAuthError", status: 503 })
      yield* user.revoke
      expect(server.requests).toHaveLength(2)
      expect(server.requests[1]!.url).toBe(provider.revocationEndpoint)
      expect(server.requests[1]!.form).toMatchObject({ token: "refresh-0", token_type_hint: "refresh_token" })
      expect(Option.isNone(yield* store.get("user-1"))).toBe(true)
      expect(yield* Effect.flip(user.accessToken)).toMatchObject({
        _tag: "ReauthenticationRequired",
        reason: "Revoked",
      })
    }),
  )

  it.scoped(
    "a save that fails again is answered to the caller (nobody hangs), then saved on the next call",
    () =>
      Effect.gen(function* () {
        yield* TestClock.setTime(now)
        const { server, layer } = harness([tokenResponse(1, { refresh_token: "refresh-1" })])
        const failures = { count: 2 }
        const store = yield* flakyStore(failures)
        const user = yield* SavedCredentials.make({ ...base, credentials: saved }).pipe(
          Effect.provide(withStore(layer, store)),
        )
        // The renewal's save fails, then the retry of the save (persisting) fails too.
        expect(yield* Effect.flip(user.accessToken)).toMatchObject({ _tag: "PersistenceError" })
        expect(yield* Effect.flip(user.accessToken)).toMatchObject({ _tag: "PersistenceError" })
        expect(yield* user.accessToken).toBe("access-1")
        expect(server.requests).toHaveLength(1)
        expect(Option.getOrUndefined(yield* store.get("user-1"))?.refreshToken).toBe("refresh-1")
      }),
  )

  it.scoped("an empty refresh_token in a refresh response keeps the one held", () =>
    Effect.gen(function* () {
      yield* TestClock.setTime(now)
      const { layer } = harness([tokenResponse(1, { refresh_token: "" })])
      const user = yield* SavedCredentials.make({ ...base, credentials: saved }).pipe(Effect.provide(layer))
      expect(yield* user.accessToken).toBe("access-1")
      expect((yield* user.credentials).refreshToken).toBe("refresh-0")
    }),
  )

  it.scoped("a 401 on a source that cannot renew returns the 401 and leaves the source usable", () =>
    Effect.gen(function* () {
      yield* TestClock.setTime(now)
      const { server, layer } = harness([tokenResponse(1)])
      const store = yield* CredentialStore.makeMemory
      const credentials = { ...saved, expiresAt: now + 3_600_000, refreshToken: undefined }
      yield* store.set("user-1", credentials)
      // A resource server stand-in (fault injection) that refuses every token.
      const fetch = async () => new Response("", { status: 401 })
      const user = yield* SavedCredentials.make({ ...base, credentials, fetch }).pipe(
        Effect.provide(withStore(layer, store)),
      )
      const response = yield* Effect.promise(() => user.source.fetch("https://api.example.com/v1/me"))
      expect(response.status).toBe(401)
      expect(yield* user.accessToken).toBe("access-0")
      expect(Option.isSome(yield* store.get("user-1"))).toBe(true)
      expect(server.requests).toHaveLength(0)
    }),
  )

  it.scoped(
    "newer but expired credentials in the store are renewed with their refresh token, not handed out",
    () =>
      Effect.gen(function* () {
        yield* TestClock.setTime(now)
        const { server, layer } = harness([tokenResponse(1)])
        const store = yield* CredentialStore.makeMemory
        yield* store.set("user-1", {
          ...saved,
          accessToken: "expired-from-another-tab",
          refreshToken: "refresh-from-another-tab",
          expiresAt: now - 1,
          revision: 1,
        })
        const user = yield* SavedCredentials.make({ ...base, credentials: saved }).pipe(
          Effect.provide(withStore(layer, store)),
        )
        expect(yield* user.accessToken).toBe("access-1")
        expect(server.requests.map((request) => request.form.refresh_token)).toEqual([
          "refresh-from-another-tab",
        ])
        expect((yield* user.credentials).refreshToken).toBe("refresh-from-another-tab")
        expect((yield* user.credentials).revision).toBe(2)
      }),
  )

  it.scoped("a plain 500 (no OAuth body) is retried", () =>
    Effect.gen(function* () {
      yield* TestClock.setTime(now)
      const { server, layer } = harness(
        [
          FaultyHttpClient.respond(500, "<html>Internal Server Error</html>", {
            "content-type": "text/html",
          }),
          tokenResponse(1),
        ],
        { retry: { maxRetries: 1, baseDelay: 0 } },
      )
      const user = yield* SavedCredentials.make({ ...base, credentials: saved }).pipe(Effect.provide(layer))
      expect(yield* user.accessToken).toBe("access-1")
      expect(server.requests).toHaveLength(2)
    }),
  )
})
