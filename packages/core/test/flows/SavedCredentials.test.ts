import { inspect } from "node:util"
import { describe, expect, it } from "@effect/vitest"
import { CredentialStore, type Credentials, SavedCredentials } from "@grantflow/core"
import * as Effect from "effect/Effect"
import * as Exit from "effect/Exit"
import * as Layer from "effect/Layer"
import * as Option from "effect/Option"
import * as Scope from "effect/Scope"
import * as TestClock from "effect/TestClock"
import * as FaultyHttpClient from "../support/FaultyHttpClient.js"
import { harness, provider, tokenResponse } from "../support/flowHarness.js"

const saved: Credentials = {
  accessToken: "access-0",
  tokenType: "Bearer",
  scopes: ["user-read-email"],
  expiresAt: 0,
  refreshToken: "refresh-0",
  grantId: "grant-1",
}
const base = { provider, clientId: "spa", storeKey: "user-1" }

describe("saved credentials", () => {
  it.scoped("refreshes expired credentials once, keeping the refresh token when the server omits it", () =>
    Effect.gen(function* () {
      yield* TestClock.setTime(1_000_000)
      const { server, layer } = harness([tokenResponse(1), tokenResponse(2, { refresh_token: "refresh-2" })])
      const seen: Array<Credentials> = []
      const user = yield* SavedCredentials.make({
        ...base,
        credentials: saved,
        onCredentialsRefreshed: (next) => void seen.push(next),
      }).pipe(Effect.provide(layer))
      const tokens = yield* Effect.promise(() =>
        Promise.all([1, 2, 3].map(() => user.source.getAccessToken())),
      )
      expect(tokens).toEqual(["access-1", "access-1", "access-1"])
      expect(server.requests).toHaveLength(1)
      // A public client (no secret) sends its id in the body and no Authorization header.
      expect(server.requests[0]!.form).toEqual({
        grant_type: "refresh_token",
        refresh_token: "refresh-0",
        client_id: "spa",
      })
      expect(server.requests[0]!.headers.authorization).toBeUndefined()
      expect(seen).toEqual([
        { ...saved, accessToken: "access-1", expiresAt: 1_000_000 + 3_600_000, revision: 1 },
      ])

      yield* TestClock.adjust("1 hour")
      expect(yield* user.accessToken).toBe("access-2")
      expect(server.requests[1]!.form.refresh_token).toBe("refresh-0")
      expect(seen.at(-1)!.refreshToken).toBe("refresh-2")
    }),
  )

  it.scoped("saves and tells the app before any caller receives the new token", () =>
    Effect.gen(function* () {
      const { layer } = harness([tokenResponse(1, { refresh_token: "refresh-1" })])
      const order: Array<string> = []
      const store = yield* CredentialStore.makeMemory
      const user = yield* SavedCredentials.make({
        ...base,
        credentials: saved,
        onCredentialsRefreshed: async (next) => {
          const stored = yield_(store.get("user-1"))
          order.push(
            `hook sees store=${Option.getOrUndefined(stored)?.refreshToken} next=${next.refreshToken}`,
          )
        },
      }).pipe(Effect.provide(Layer.merge(layer, Layer.succeed(CredentialStore.CredentialStore, store))))
      const token = yield* Effect.promise(() =>
        user.source.getAccessToken().then((t) => {
          order.push(`caller ${t}`)
          return t
        }),
      )
      expect(token).toBe("access-1")
      expect(order).toEqual(["hook sees store=refresh-1 next=refresh-1", "caller access-1"])
    }),
  )

  it.scoped("a failing hook is the caller's error; the next call saves again without a new request", () =>
    Effect.gen(function* () {
      const { server, layer } = harness([tokenResponse(1, { refresh_token: "refresh-1" })])
      let calls = 0
      const user = yield* SavedCredentials.make({
        ...base,
        credentials: saved,
        onCredentialsRefreshed: () => {
          calls++
          if (calls === 1) throw new Error("disk full")
        },
      }).pipe(Effect.provide(layer))
      const failure = yield* Effect.flip(user.accessToken)
      expect(failure).toMatchObject({ _tag: "PersistenceError", reason: "Hook" })
      // Every way an app might print the error, hidden and symbol-keyed properties included.
      const printed = [
        inspect(failure, { showHidden: true, depth: null }),
        JSON.stringify(failure),
        String(failure),
      ]
      for (const text of printed) expect(text).not.toContain("refresh-1")
      expect(yield* user.accessToken).toBe("access-1")
      expect(calls).toBe(2)
      expect(server.requests).toHaveLength(1)
      expect((yield* user.credentials).refreshToken).toBe("refresh-1")
    }),
  )

  it.scoped("invalid_grant ends in ReauthenticationRequired after exactly one request, for good", () =>
    Effect.gen(function* () {
      const { server, layer } = harness([
        FaultyHttpClient.json(400, { error: "invalid_grant" }),
        tokenResponse(9),
      ])
      const user = yield* SavedCredentials.make({ ...base, credentials: saved }).pipe(Effect.provide(layer))
      const results = yield* Effect.promise(() =>
        Promise.allSettled(Array.from({ length: 50 }, () => user.source.getAccessToken())),
      )
      expect(
        results.every((r) => r.status === "rejected" && r.reason._tag === "ReauthenticationRequired"),
      ).toBe(true)
      expect(yield* Effect.flip(user.accessToken)).toMatchObject({
        _tag: "ReauthenticationRequired",
        reason: "InvalidGrant",
      })
      expect(server.requests).toHaveLength(1)
    }),
  )

  it.scoped("adopts credentials another holder of the lock renewed meanwhile", () =>
    Effect.gen(function* () {
      const { server, layer } = harness([tokenResponse(1)])
      const store = yield* CredentialStore.makeMemory
      yield* store.set("user-1", {
        ...saved,
        accessToken: "from-another-tab",
        expiresAt: 10_000_000,
        revision: 1,
      })
      const user = yield* SavedCredentials.make({ ...base, credentials: saved }).pipe(
        Effect.provide(Layer.merge(layer, Layer.succeed(CredentialStore.CredentialStore, store))),
      )
      expect(yield* user.accessToken).toBe("from-another-tab")
      expect(server.requests).toHaveLength(0)
    }),
  )

  it.scoped("caps the renewal margin at half the token's lifetime", () =>
    Effect.gen(function* () {
      // Away from epoch 0, where `expiresAt - obtainedAt` and `expiresAt + obtainedAt` agree.
      yield* TestClock.setTime(1_700_000_000_000)
      const { server, layer } = harness([tokenResponse(1, { expires_in: 30 }), tokenResponse(2)])
      const user = yield* SavedCredentials.make({ ...base, credentials: saved }).pipe(Effect.provide(layer))
      expect(yield* user.accessToken).toBe("access-1")
      yield* TestClock.adjust("14 seconds")
      expect(yield* user.accessToken).toBe("access-1")
      yield* TestClock.adjust("1 second")
      expect(yield* user.accessToken).toBe("access-2")
      expect(server.requests).toHaveLength(2)
    }),
  )

  it.scoped("revoke sends the refresh token to the revocation endpoint and forgets everything", () =>
    Effect.gen(function* () {
      const { server, layer } = harness([FaultyHttpClient.respond(200)])
      const store = yield* CredentialStore.makeMemory
      yield* store.set("user-1", saved)
      const user = yield* SavedCredentials.make({
        ...base,
        credentials: { ...saved, expiresAt: undefined },
      }).pipe(Effect.provide(Layer.merge(layer, Layer.succeed(CredentialStore.CredentialStore, store))))
      yield* user.revoke
      expect(server.requests[0]).toMatchObject({
        url: provider.revocationEndpoint,
        form: { token: "refresh-0", token_type_hint: "refresh_token" },
      })
      expect(Option.isNone(yield* store.get("user-1"))).toBe(true)
      expect(yield* Effect.flip(user.accessToken)).toMatchObject({
        _tag: "ReauthenticationRequired",
        reason: "Revoked",
      })
      expect(server.requests).toHaveLength(1)
    }),
  )

  it.effect("without a storeKey, each source has a key of its own, removed when it stops", () =>
    Effect.gen(function* () {
      const { layer } = harness([tokenResponse(1), tokenResponse(2)])
      const memory = yield* CredentialStore.makeMemory
      const written = new Set<string>()
      const store: CredentialStore.CredentialStoreService = {
        ...memory,
        set: (key, credentials) =>
          Effect.zipRight(
            Effect.sync(() => written.add(key)),
            memory.set(key, credentials),
          ),
      }
      const scope = yield* Scope.make()
      const { storeKey: _, ...withoutKey } = base
      for (const grantId of ["grant-a", "grant-b"]) {
        const user = yield* SavedCredentials.make({ ...withoutKey, credentials: { ...saved, grantId } }).pipe(
          Scope.extend(scope),
          Effect.provide(Layer.merge(layer, Layer.succeed(CredentialStore.CredentialStore, store))),
        )
        yield* user.accessToken
      }
      expect(written.size).toBe(2)
      for (const key of written) expect(Option.isSome(yield* memory.get(key))).toBe(true)
      yield* Scope.close(scope, Exit.void)
      for (const key of written) expect(Option.isNone(yield* memory.get(key))).toBe(true)
    }),
  )

  it.scoped(
    "under a shared storeKey, another grant's record is neither adopted, overwritten nor removed",
    () =>
      Effect.gen(function* () {
        const { server, layer } = harness([
          tokenResponse(1),
          FaultyHttpClient.json(400, { error: "invalid_grant" }),
        ])
        const store = yield* CredentialStore.makeMemory
        const bobs: Credentials = {
          ...saved,
          accessToken: "bob",
          refreshToken: "bob-rt",
          grantId: "bob",
          revision: 7,
        }
        yield* store.set("user-1", { ...bobs, expiresAt: 10_000_000 })
        const services = Layer.merge(layer, Layer.succeed(CredentialStore.CredentialStore, store))
        const alice = yield* SavedCredentials.make({ ...base, credentials: saved }).pipe(
          Effect.provide(services),
        )
        expect(yield* alice.accessToken).toBe("access-1")
        expect(server.requests[0]!.form.refresh_token).toBe("refresh-0")
        expect(Option.getOrThrow(yield* store.get("user-1")).grantId).toBe("bob")
        const carol = yield* SavedCredentials.make({
          ...base,
          credentials: { ...saved, grantId: "carol" },
        }).pipe(Effect.provide(services))
        expect(yield* Effect.flip(carol.accessToken)).toMatchObject({ _tag: "ReauthenticationRequired" })
        expect(Option.getOrThrow(yield* store.get("user-1")).accessToken).toBe("bob")
        yield* carol.revoke.pipe(Effect.ignore)
        expect(Option.getOrThrow(yield* store.get("user-1")).accessToken).toBe("bob")
      }),
  )

  it.scoped("a record saved before grants had ids is not adopted, and is replaced by the next renewal", () =>
    Effect.gen(function* () {
      const { layer } = harness([tokenResponse(1)])
      const store = yield* CredentialStore.makeMemory
      const { grantId: _, ...legacy } = saved
      yield* store.set("user-1", { ...legacy, accessToken: "legacy", expiresAt: 10_000_000 })
      const user = yield* SavedCredentials.make({ ...base, credentials: saved }).pipe(
        Effect.provide(Layer.merge(layer, Layer.succeed(CredentialStore.CredentialStore, store))),
      )
      expect(yield* user.accessToken).toBe("access-1")
      expect(Option.getOrThrow(yield* store.get("user-1"))).toMatchObject({
        accessToken: "access-1",
        grantId: "grant-1",
      })
    }),
  )
})

// Reads an in-memory store synchronously inside a hook (it never suspends).
const yield_ = <A>(effect: Effect.Effect<A, unknown>): A => Effect.runSync(effect as Effect.Effect<A>)
