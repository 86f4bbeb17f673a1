import { inspect } from "node:util"
import * as FetchHttpClient from "@effect/platform/FetchHttpClient"
import { completeLogin } from "@grantflow/dev-server"
import * as Effect from "effect/Effect"
import * as Exit from "effect/Exit"
import * as Layer from "effect/Layer"
import * as Option from "effect/Option"
import * as Scope from "effect/Scope"
import * as fc from "fast-check"
import { describe, expect, it } from "vitest"
import {
  authorizationCode,
  CredentialStore,
  type Credentials,
  PersistenceError,
  SavedCredentials,
  savedCredentials,
  TokenEndpoint,
  unsavedCredentials,
} from "../../src/index.js"
import { logIn, type Running, useDevServer } from "./devServer.js"

const dev = useDevServer()
const memoryStore = () => Effect.runPromise(CredentialStore.makeMemory)
const stored = async (store: CredentialStore.CredentialStoreService, key: string) =>
  Option.getOrUndefined(await Effect.runPromise(store.get(key)))

/** A user's credentials from a real login, due for renewal. */
const loggedIn = async (running: Running, username: string): Promise<Credentials> => {
  const user = await logIn(running, running.server.clients.spa, { username })
  const credentials = await user.getCredentials()
  user.stop()
  return credentials
}

const resume = (running: Running, credentials: Credentials, extra: object = {}) =>
  savedCredentials({
    provider: running.provider,
    clientId: running.server.clients.spa.clientId,
    credentials: { ...credentials, expiresAt: 0 },
    ...extra,
  })

const revokeAtServer = (running: Running, refreshToken: string) =>
  fetch(running.provider.revocationEndpoint!, {
    method: "POST",
    headers: { "content-type": "application/x-www-form-urlencoded" },
    body: new URLSearchParams({ token: refreshToken, client_id: running.server.clients.spa.clientId }),
  })

describe("against the dev-server: one user's credentials never reach another user", () => {
  it("many users on one store, by property: each gets their own tokens; a failure touches no other record", async () => {
    const running = dev()
    const names = ["alice", "bob", "carol", "dave", "erin"]
    const latest = new Map<string, Credentials>()
    for (const name of names) latest.set(name, await loggedIn(running, name))
    const grantOf = new Map(names.map((name) => [name, latest.get(name)!.grantId]))

    await fc.assert(
      fc.asyncProperty(
        fc.shuffledSubarray(names, { minLength: 2 }),
        fc.constantFrom("default key", "one shared key"),
        fc.boolean(),
        async (users, keying, lastIsRevoked) => {
          const store = await memoryStore()
          const victim = lastIsRevoked ? users.at(-1) : undefined
          if (victim !== undefined) await revokeAtServer(running, latest.get(victim)!.refreshToken!)
          running.server.counters.reset()
          const sources = users.map((name) =>
            resume(running, latest.get(name)!, {
              store,
              ...(keying === "one shared key" ? { storeKey: "shared" } : {}),
              onCredentialsRefreshed: (next: Credentials) => void latest.set(name, next),
            }),
          )
          // All at once; renewals under one key still run one after the other, in this order.
          const answers = await Promise.allSettled(
            sources.map((source) =>
              source.fetch(`${running.server.issuer}/v1/me`).then((response) => response.json()),
            ),
          )
          for (const [i, name] of users.entries()) {
            if (name === victim) {
              expect(answers[i]).toMatchObject({
                status: "rejected",
                reason: { _tag: "ReauthenticationRequired" },
              })
              continue
            }
            expect(answers[i]).toMatchObject({ status: "fulfilled", value: { id: name } })
            const held = await sources[i]!.getCredentials()
            expect(held.grantId).toBe(grantOf.get(name))
            expect(held).toEqual(latest.get(name))
          }
          if (keying === "one shared key") {
            // The record a failing renewal found belongs to another grant: it stays.
            const record = await stored(store, "shared")
            expect(record).toBeDefined()
            expect(record!.grantId).not.toBe(victim === undefined ? undefined : grantOf.get(victim))
            expect(users.map((name) => grantOf.get(name))).toContain(record!.grantId)
          }
          expect(running.server.counters.tokenRequests.refresh_token).toBe(users.length)
          expect(running.server.counters.refreshReuseDetected).toBe(0)
          for (const source of sources) source.stop()
          if (victim !== undefined) {
            latest.set(victim, await loggedIn(running, victim))
            grantOf.set(victim, latest.get(victim)!.grantId)
          }
        },
      ),
      { numRuns: 12 },
    )
    // Many real logins and renewals: room for a machine shared with other builds.
  }, 60_000)
})

describe("against the dev-server: rotated credentials are never lost", () => {
  it("stop() during a refresh: the request completes and the new credentials are saved", async () => {
    const running = dev()
    const first = await loggedIn(running, "alice")
    const store = await memoryStore()
    const seen: Array<Credentials> = []
    // Fault injection: the token endpoint's answer is held back until the source is stopped.
    let answered!: () => void
    const serverAnswered = new Promise<void>((resolve) => {
      answered = resolve
    })
    let stopped!: () => void
    const sourceStopping = new Promise<void>((resolve) => {
      stopped = resolve
    })
    const slowNetwork: typeof fetch = async (input, init) => {
      const response = await fetch(input, init)
      if (new Request(input).url === running.provider.tokenEndpoint) {
        answered()
        await sourceStopping
      }
      return response
    }
    const layer = Layer.mergeAll(
      TokenEndpoint.layer().pipe(
        Layer.provide(FetchHttpClient.layer),
        Layer.provide(Layer.succeed(FetchHttpClient.Fetch, slowNetwork)),
      ),
      Layer.succeed(CredentialStore.CredentialStore, store),
    )
    const scope = Effect.runSync(Scope.make())
    const user = await Effect.runPromise(
      SavedCredentials.make({
        provider: running.provider,
        clientId: running.server.clients.spa.clientId,
        credentials: { ...first, expiresAt: 0 },
        storeKey: "alice",
        onCredentialsRefreshed: (next) => void seen.push(next),
      }).pipe(Scope.extend(scope), Effect.provide(layer)),
    )
    running.server.counters.reset()
    const caller = user.source.getAccessToken().catch((error: unknown) => error)
    await serverAnswered
    const closing = Effect.runPromise(Scope.close(scope, Exit.void))
    stopped()
    await closing
    await caller

    expect(running.server.counters.tokenRequests.refresh_token).toBe(1)
    expect(seen).toHaveLength(1)
    expect(seen[0]!.refreshToken).not.toBe(first.refreshToken)
    expect(await stored(store, "alice")).toEqual(seen[0])
    // The saved refresh token is the live one: it renews without reuse.
    const resumed = resume(running, seen[0]!)
    expect((await resumed.fetch(`${running.server.issuer}/v1/me`)).status).toBe(200)
    expect(running.server.counters.refreshReuseDetected).toBe(0)
    resumed.stop()
  })

  it("stop() of a Promise-API source while its store is saving: the save and the hook still happen", async () => {
    const running = dev()
    const first = await loggedIn(running, "dave")
    const memory = await memoryStore()
    // Fault injection: a store whose write waits until the source has been stopped.
    let stopped!: () => void
    const sourceStopped = new Promise<void>((resolve) => {
      stopped = resolve
    })
    let writing!: () => void
    const storeWriting = new Promise<void>((resolve) => {
      writing = resolve
    })
    const slowStore: CredentialStore.CredentialStoreService = {
      ...memory,
      set: (key, credentials) =>
        Effect.zipRight(
          Effect.promise(() => {
            writing()
            return sourceStopped
          }),
          memory.set(key, credentials),
        ),
    }
    let told!: (credentials: Credentials) => void
    const hookCalled = new Promise<Credentials>((resolve) => {
      told = resolve
    })
    running.server.counters.reset()
    const user = resume(running, first, { store: slowStore, storeKey: "dave", onCredentialsRefreshed: told })
    const caller = user.getAccessToken().catch((error: unknown) => error)
    await storeWriting
    user.stop()
    stopped()
    const saved = await hookCalled
    await caller
    expect(saved.refreshToken).not.toBe(first.refreshToken)
    expect(await stored(memory, "dave")).toEqual(saved)
    expect(running.server.counters.tokenRequests.refresh_token).toBe(1)
  })

  it("persist never goes backwards: a later rotation saved by another holder is adopted, not overwritten", async () => {
    const running = dev()
    const first = await loggedIn(running, "bob")
    const store = await memoryStore()
    running.server.counters.reset()
    // Fault injection: A's hook fails once, after the store took A's rotation.
    let failures = 1
    const toldA: Array<Credentials> = []
    const a = resume(running, first, {
      store,
      storeKey: "bob",
      onCredentialsRefreshed: (next: Credentials) => {
        if (failures-- > 0) throw new Error("the app's database is down")
        toldA.push(next)
      },
    })
    await expect(a.getAccessToken()).rejects.toMatchObject({ _tag: "PersistenceError", reason: "Hook" })
    const afterA = (await stored(store, "bob"))!
    expect(afterA.revision).toBe(1)

    // Another holder of the same grant (another instance) rotates again.
    const b = resume(running, afterA, { store, storeKey: "bob" })
    await b.getAccessToken()
    const afterB = (await stored(store, "bob"))!
    expect(afterB.revision).toBe(2)
    expect(afterB.refreshToken).not.toBe(afterA.refreshToken)

    // A saves again: it finds later credentials of its grant and takes them.
    expect(await a.getAccessToken()).toBe(afterB.accessToken)
    expect(await stored(store, "bob")).toEqual(afterB)
    expect(toldA).toEqual([afterB])
    expect(running.server.counters.tokenRequests.refresh_token).toBe(2)
    expect(running.server.counters.refreshReuseDetected).toBe(0)
    a.stop()
    b.stop()
  })
})

describe("against the dev-server: nothing secret in a message", () => {
  it("a login whose store fails: PersistenceError keeps the tokens out of every inspection, yet returns them", async () => {
    const running = dev()
    const memory = await memoryStore()
    // Fault injection: a store that cannot write.
    const failingStore: CredentialStore.CredentialStoreService = {
      ...memory,
      set: () => Effect.fail(new PersistenceError({ reason: "Store", cause: new Error("disk full") })),
    }
    const client = running.server.clients.spa
    const { url, pending } = await authorizationCode.begin({
      provider: running.provider,
      clientId: client.clientId,
      redirectUri: client.redirectUris[0]!,
      scopes: ["user-read-email"],
    })
    const failure = await authorizationCode
      .complete({
        provider: running.provider,
        clientId: client.clientId,
        pending,
        callbackUrl: await completeLogin(url, { username: "carol", redirectUri: client.redirectUris[0]! }),
        store: failingStore,
      })
      .then(
        () => undefined,
        (e: unknown) => e,
      )
    expect(failure).toBeInstanceOf(PersistenceError)
    const kept = unsavedCredentials(failure)!
    expect(kept.refreshToken).toEqual(expect.any(String))
    const seen = [
      inspect(failure, { showHidden: true, depth: null }),
      JSON.stringify(failure),
      String(failure),
      (failure as Error).stack ?? "",
    ].join("\n")
    for (const secret of [kept.accessToken, kept.refreshToken!, pending.codeVerifier!]) {
      expect(seen).not.toContain(secret)
    }
    // Not lost: the kept credentials work and resume.
    const resumed = resume(running, kept)
    expect(await (await resumed.fetch(`${running.server.issuer}/v1/me`)).json()).toMatchObject({
      id: "carol",
    })
    resumed.stop()

    // The same on a renewal whose store fails.
    const renewal = resume(running, await resumed.getCredentials(), { store: failingStore })
    const renewalFailure = await renewal.getAccessToken().then(
      () => undefined,
      (e: unknown) => e,
    )
    const renewed = unsavedCredentials(renewalFailure)!
    const shown = inspect(renewalFailure, { showHidden: true, depth: null })
    expect(shown).not.toContain(renewed.accessToken)
    expect(shown).not.toContain(renewed.refreshToken!)
    renewal.stop()
  })
})
