/**
 * Behaviours of the renewal path that no other test pins, each found as a surviving mutant
 * (packages/core/MUTATION.md). The token endpoint and the store are scripted fault injectors.
 */
import { describe, expect, it } from "@effect/vitest"
import {
  AuthorizationCode,
  AuthorizationRequest,
  ClientCredentials,
  CredentialStore,
  type Credentials,
  Entropy,
  SavedCredentials,
} from "@grantflow/core"
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

/**
 * A saved credentials source over a scripted server (fault injection), started from `saved` (or
 * `options.credentials`) with `stored` already in a memory store.
 */
const savedSource = (
  script: ReadonlyArray<FaultyHttpClient.Step>,
  stored: Credentials | undefined,
  options: Partial<Parameters<typeof SavedCredentials.make>[0]> = {},
) =>
  Effect.gen(function* () {
    yield* TestClock.setTime(now)
    const { server, layer } = harness(script)
    const store = yield* CredentialStore.makeMemory
    if (stored !== undefined) yield* store.set("user-1", stored)
    const user = yield* SavedCredentials.make({ ...base, credentials: saved, ...options }).pipe(
      Effect.provide(withStore(layer, store)),
    )
    return { server, store, user }
  })

describe("renewal edges", () => {
  it.scoped(
    "an OAuth error other than invalid_grant fails the call but keeps the session and the store",
    () =>
      Effect.gen(function* () {
        const { server, store, user } = yield* savedSource(
          [
            FaultyHttpClient.json(401, { error: "invalid_client" }),
            tokenResponse(1, { refresh_token: "refresh-1" }),
          ],
          saved,
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
      const { server, store, user } = yield* savedSource(
        [FaultyHttpClient.json(503, { error: "temporarily_unavailable" }), FaultyHttpClient.respond(200)],
        saved,
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
      const credentials = { ...saved, expiresAt: now + 3_600_000, refreshToken: undefined }
      // A resource server stand-in (fault injection) that refuses every token.
      const fetch = async () => new Response("", { status: 401 })
      const { server, store, user } = yield* savedSource([tokenResponse(1)], credentials, {
        credentials,
        fetch,
      })
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
        const { server, user } = yield* savedSource([tokenResponse(1)], {
          ...saved,
          accessToken: "expired-from-another-tab",
          refreshToken: "refresh-from-another-tab",
          // Expires exactly now: due (`now < renewAt` is false at the boundary).
          expiresAt: now,
          revision: 1,
        })
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

  it.scoped("newer credentials in the store that never expire are adopted without a request", () =>
    Effect.gen(function* () {
      const { server, user } = yield* savedSource([tokenResponse(1)], {
        ...saved,
        accessToken: "from-another-tab",
        expiresAt: undefined,
        revision: 1,
      })
      expect(yield* user.accessToken).toBe("from-another-tab")
      expect(server.requests).toHaveLength(0)
    }),
  )

  it.scoped("invalid_grant removes the dead credentials from the store", () =>
    Effect.gen(function* () {
      const { store, user } = yield* savedSource(
        [FaultyHttpClient.json(400, { error: "invalid_grant" })],
        saved,
      )
      expect(yield* Effect.flip(user.accessToken)).toMatchObject({ _tag: "ReauthenticationRequired" })
      expect(Option.isNone(yield* store.get("user-1"))).toBe(true)
    }),
  )

  it.scoped("saving again after a failed save adopts later credentials another holder stored meanwhile", () =>
    Effect.gen(function* () {
      yield* TestClock.setTime(now)
      const { server, layer } = harness([tokenResponse(1, { refresh_token: "refresh-1" })])
      const failures = { count: 1 }
      const store = yield* flakyStore(failures)
      const user = yield* SavedCredentials.make({ ...base, credentials: saved }).pipe(
        Effect.provide(withStore(layer, store)),
      )
      expect(yield* Effect.flip(user.accessToken)).toMatchObject({ _tag: "PersistenceError" })
      // Another holder of the grant renews and saves meanwhile (revision 1 was ours, unsaved).
      const later = {
        ...saved,
        accessToken: "from-another-tab",
        refreshToken: "refresh-another",
        expiresAt: now + 3_600_000,
        revision: 2,
      }
      yield* store.set("user-1", later)
      expect(yield* user.accessToken).toBe("from-another-tab")
      expect(Option.getOrUndefined(yield* store.get("user-1"))).toEqual(later)
      expect(server.requests).toHaveLength(1)
    }),
  )

  it.scoped("revoke without a revocation endpoint sends nothing and still forgets the store", () =>
    Effect.gen(function* () {
      yield* TestClock.setTime(now)
      const { server, layer } = harness([FaultyHttpClient.respond(200)])
      const store = yield* CredentialStore.makeMemory
      yield* store.set("user-1", saved)
      const { revocationEndpoint: _, ...withoutRevocation } = provider
      const user = yield* SavedCredentials.make({
        ...base,
        provider: withoutRevocation,
        credentials: saved,
      }).pipe(Effect.provide(withStore(layer, store)))
      yield* user.revoke
      expect(server.requests).toHaveLength(0)
      expect(Option.isNone(yield* store.get("user-1"))).toBe(true)
    }),
  )
})

describe("client credentials edges", () => {
  const options = { provider, clientId: "app", clientSecret: "s3cret", storeKey: "app" }

  it.scoped(
    "a confidential client authenticates with Basic, and its credentials carry no refresh token",
    () =>
      Effect.gen(function* () {
        const { server, layer } = harness([tokenResponse(1)])
        const app = yield* ClientCredentials.make(options).pipe(Effect.provide(layer))
        expect(yield* app.accessToken).toBe("access-1")
        expect(server.requests[0]!.headers.authorization).toBe(`Basic ${btoa("app:s3cret")}`)
        expect(server.requests[0]!.form.client_secret).toBeUndefined()
        expect(Object.keys(yield* app.credentials)).not.toContain("refreshToken")
      }),
  )

  it.scoped("revoke revokes the access token (there is no refresh token)", () =>
    Effect.gen(function* () {
      const { server, layer } = harness([tokenResponse(1), FaultyHttpClient.respond(200)])
      const app = yield* ClientCredentials.make(options).pipe(Effect.provide(layer))
      expect(yield* app.accessToken).toBe("access-1")
      yield* app.revoke
      expect(server.requests[1]!.url).toBe(provider.revocationEndpoint)
      expect(server.requests[1]!.form).toMatchObject({ token: "access-1", token_type_hint: "access_token" })
    }),
  )

  it.scoped("revoke before any token sends nothing", () =>
    Effect.gen(function* () {
      const { server, layer } = harness([tokenResponse(1)])
      const app = yield* ClientCredentials.make(options).pipe(Effect.provide(layer))
      yield* app.revoke
      expect(server.requests).toHaveLength(0)
    }),
  )
})

describe("client credentials across restarts", () => {
  it.scoped("a new source adopts its grant's unexpired token from the store instead of requesting one", () =>
    Effect.gen(function* () {
      yield* TestClock.setTime(now)
      const { server, layer } = harness([tokenResponse(1)])
      const store = yield* CredentialStore.makeMemory
      const options = { provider, clientId: "app", clientSecret: "s3cret", storeKey: "app" }
      const first = yield* ClientCredentials.make(options).pipe(Effect.provide(withStore(layer, store)))
      expect(yield* first.accessToken).toBe("access-1")
      // A second process with the same client and scopes: the same grant.
      const second = yield* ClientCredentials.make(options).pipe(Effect.provide(withStore(layer, store)))
      expect(yield* second.accessToken).toBe("access-1")
      expect(server.requests).toHaveLength(1)
    }),
  )
})

describe("code exchange edges", () => {
  it.scoped("a confidential client without PKCE sends no code_verifier, and the login is saved", () =>
    Effect.gen(function* () {
      const { server, layer } = harness([tokenResponse(1, { refresh_token: "refresh-1" })])
      const store = yield* CredentialStore.makeMemory
      const redirectUri = "https://app.example.com/callback"
      const { pending } = yield* AuthorizationRequest.begin({
        provider,
        clientId: "web",
        redirectUri,
        scopes: ["profile"],
        pkce: false,
      }).pipe(Effect.provide(Entropy.layer))
      const query = new URLSearchParams({ code: "the-code", state: pending.state, iss: provider.issuer })
      const user = yield* AuthorizationCode.complete({
        provider,
        clientId: "web",
        clientSecret: "s3cret",
        storeKey: "web-user",
        pending,
        callbackUrl: `${redirectUri}?${query}`,
      }).pipe(Effect.provide(withStore(layer, store)))
      expect(yield* user.accessToken).toBe("access-1")
      expect(server.requests[0]!.formNames).not.toContain("code_verifier")
      expect(Option.getOrUndefined(yield* store.get("web-user"))?.refreshToken).toBe("refresh-1")
    }),
  )
})
