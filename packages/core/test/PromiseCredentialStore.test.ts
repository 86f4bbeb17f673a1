import { describe, expect, it } from "@effect/vitest"
import { CredentialStore, type Credentials, fromPromiseStore, PersistenceError } from "@grantflow/core"
import * as Effect from "effect/Effect"
import * as Exit from "effect/Exit"
import * as Option from "effect/Option"
import { toCredentialStoreService } from "../src/PromiseCredentialStore.js"
import { promiseStore } from "./support/promiseStore.js"

const credentials: Credentials = { accessToken: "access-1", tokenType: "Bearer", scopes: ["read"] }

describe("a Promise-shaped credential store", () => {
  it.effect("reads back what it stored, decoded, and forgets on remove", () =>
    Effect.gen(function* () {
      const { store } = promiseStore()
      const service = fromPromiseStore(store)
      expect(yield* service.get("k")).toEqual(Option.none())
      yield* service.set("k", credentials)
      expect(yield* service.get("k")).toEqual(Option.some(credentials))
      yield* service.remove("k")
      expect(yield* service.get("k")).toEqual(Option.none())
    }),
  )

  it.effect("a corrupted record is a PersistenceError that does not quote it", () =>
    Effect.gen(function* () {
      const { store, rows } = promiseStore()
      rows.set("k", JSON.stringify({ accessToken: "secret-token-value", tokenType: 7 }))
      const error = yield* Effect.flip(fromPromiseStore(store).get("k"))
      expect(error).toBeInstanceOf(PersistenceError)
      expect(error.reason).toBe("Store")
      expect(JSON.stringify(error.cause)).not.toContain("secret-token-value")
      expect(error.message).not.toContain("secret-token-value")
    }),
  )

  it.effect("a rejecting store is a PersistenceError carrying the cause", () =>
    Effect.gen(function* () {
      const { store } = promiseStore()
      const down = new Error("database is down")
      const service = fromPromiseStore({ ...store, set: () => Promise.reject(down) })
      const error = yield* Effect.flip(service.set("k", credentials))
      expect(error).toBeInstanceOf(PersistenceError)
      expect(error.cause).toBe(down)
    }),
  )

  it.live("withLock runs one holder at a time and hands back each outcome, failures typed", () =>
    Effect.gen(function* () {
      const { store } = promiseStore()
      const service = fromPromiseStore(store)
      const order: Array<string> = []
      const holder = (name: string) =>
        Effect.gen(function* () {
          order.push(`${name} in`)
          yield* Effect.sleep("5 millis")
          order.push(`${name} out`)
          return name
        })
      const results = yield* Effect.all(
        [service.withLock("k", holder("a")), service.withLock("k", holder("b"))],
        { concurrency: "unbounded" },
      )
      expect(results).toEqual(["a", "b"])
      expect(order).toEqual(["a in", "a out", "b in", "b out"])
      const failed = yield* Effect.exit(service.withLock("k", Effect.fail("typed failure" as const)))
      expect(failed).toEqual(Exit.fail("typed failure"))
      // The failure released the lock.
      expect(yield* service.withLock("k", Effect.succeed("after"))).toBe("after")
    }),
  )

  it.effect("an Effect-shaped store passes through the same adapter untouched", () =>
    Effect.gen(function* () {
      const memory = yield* CredentialStore.makeMemory
      const service = toCredentialStoreService(memory)
      yield* service.set("k", credentials)
      expect(yield* service.get("k")).toEqual(Option.some(credentials))
      expect(yield* service.withLock("k", service.get("k"))).toEqual(Option.some(credentials))
      yield* service.remove("k")
      expect(yield* memory.get("k")).toEqual(Option.none())
    }),
  )
})
