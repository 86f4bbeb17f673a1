import type { Credentials } from "@grantflow/core"
import * as Effect from "effect/Effect"
import * as Option from "effect/Option"
import { IDBFactory } from "fake-indexeddb"
import { describe, expect, it } from "vitest"
import { makeBrowserStore, type StoreChange } from "../src/index.js"
import { openDatabase, write } from "../src/internal/indexedDb.js"
import { sealingKey } from "../src/internal/sealingKey.js"
import { makeLockManager } from "./support/locks.js"

const credentials: Credentials = {
  accessToken: "access-1",
  tokenType: "Bearer",
  scopes: ["user-read-email"],
  expiresAt: 1_900_000_000_000,
  refreshToken: "refresh-1",
  grantId: "grant-1",
  revision: 3,
}

/** Two tabs of one origin: one IndexedDB, one lock manager, one channel name. */
const twoTabs = () => {
  const shared = {
    name: `store-test-${Math.random()}`,
    indexedDB: new IDBFactory(),
    locks: makeLockManager(),
  }
  return [makeBrowserStore(shared), makeBrowserStore(shared)] as const
}

const run = Effect.runPromise
const failure = <E>(effect: Effect.Effect<unknown, E>) => Effect.runPromise(Effect.flip(effect))

describe("makeBrowserStore", () => {
  it("keeps credentials whole in IndexedDB, where another tab reads them", async () => {
    const [a, b] = twoTabs()
    await run(a.set("key", credentials))
    expect(Option.getOrUndefined(await run(b.get("key")))).toEqual(credentials)
    await run(b.remove("key"))
    expect(Option.isNone(await run(a.get("key")))).toBe(true)
    a.close()
    b.close()
  })

  it("a corrupted record is a PersistenceError, not credentials", async () => {
    const [a] = twoTabs()
    await write(await a.database(), "credentials", "key", { accessToken: "", tokenType: 1 })
    expect(await failure(a.get("key"))).toMatchObject({ _tag: "PersistenceError", reason: "Store" })
    a.close()
  })

  it("tells the other tabs what changed, never the credentials, and not the tab that wrote", async () => {
    const [a, b] = twoTabs()
    const seenByA: StoreChange[] = []
    const seenByB: StoreChange[] = []
    a.subscribe((change) => seenByA.push(change))
    const removed = new Promise<void>((resolve) =>
      b.subscribe((change) => {
        seenByB.push(change)
        if (change.type === "remove") resolve()
      }),
    )
    await run(a.set("key", credentials))
    await run(a.remove("key"))
    await removed
    expect(seenByB).toEqual([
      { type: "set", key: "key" },
      { type: "remove", key: "key" },
    ])
    expect(seenByA).toEqual([])
    a.close()
    b.close()
  })

  it("withLock runs one holder at a time per key across tabs; the next one reads what the first wrote", async () => {
    const [a, b] = twoTabs()
    const order: string[] = []
    let release!: () => void
    const gate = new Promise<void>((resolve) => {
      release = resolve
    })
    const first = run(
      a.withLock(
        "key",
        Effect.gen(function* () {
          order.push("a:start")
          yield* Effect.promise(() => gate)
          yield* a.set("key", credentials)
          order.push("a:end")
        }),
      ),
    )
    const second = run(
      b.withLock(
        "key",
        Effect.gen(function* () {
          order.push("b:start")
          return Option.getOrUndefined(yield* b.get("key"))
        }),
      ),
    )
    // Another key is not held up by this one.
    await run(
      b.withLock(
        "other",
        Effect.sync(() => order.push("other")),
      ),
    )
    release()
    await first
    expect(await second).toEqual(credentials)
    expect(order).toEqual(["a:start", "other", "a:end", "b:start"])
    a.close()
    b.close()
  })

  it("without Web Locks (this DOM has none), withLock is a typed error rather than no lock at all", async () => {
    const store = makeBrowserStore({ name: "no-locks", indexedDB: new IDBFactory() })
    expect(await failure(store.withLock("key", Effect.void))).toMatchObject({ _tag: "PersistenceError" })
    store.close()
  })
})

describe("the sealing key", () => {
  it("is a non-extractable AES-GCM key, made once per origin and shared by its tabs", async () => {
    const factory = new IDBFactory()
    const [one, two] = await Promise.all([openDatabase(factory, "keys"), openDatabase(factory, "keys")])
    const [a, b] = await Promise.all([sealingKey(one), sealingKey(two)])
    expect(a.extractable).toBe(false)
    expect(a.algorithm.name).toBe("AES-GCM")
    await expect(crypto.subtle.exportKey("raw", a)).rejects.toThrow()
    // The same key: what one tab seals, another opens.
    const iv = new Uint8Array(12)
    const sealed = await crypto.subtle.encrypt(
      { name: "AES-GCM", iv },
      a,
      new TextEncoder().encode("pending"),
    )
    const opened = await crypto.subtle.decrypt({ name: "AES-GCM", iv }, b, sealed)
    expect(new TextDecoder().decode(opened)).toBe("pending")
  })
})
