import type { Credentials } from "@grantflow/core"
import * as Effect from "effect/Effect"
import * as Option from "effect/Option"
import { describe, expect, it } from "vitest"
import { memorySessionStore } from "../src/index.js"

const credentials = (accessToken: string): Credentials => ({ accessToken, tokenType: "Bearer", scopes: [] })
const run = Effect.runPromise

describe("memorySessionStore", () => {
  it("keeps at most maxSessions, forgetting the least recently used first", async () => {
    const store = memorySessionStore({ maxSessions: 2 })
    await run(store.set("a", credentials("1")))
    await run(store.set("b", credentials("2")))
    await run(store.get("a")) // a is now more recent than b
    await run(store.set("c", credentials("3")))
    expect(Option.isSome(await run(store.get("a")))).toBe(true)
    expect(Option.isNone(await run(store.get("b")))).toBe(true)
    expect(Option.isSome(await run(store.get("c")))).toBe(true)
  })

  it("forgets a session untouched for idleTimeoutMs; reading or writing it keeps it", async () => {
    let now = 0
    const store = memorySessionStore({ idleTimeoutMs: 1_000, now: () => now })
    await run(store.set("kept", credentials("1")))
    await run(store.set("idle", credentials("2")))
    now = 900
    await run(store.get("kept"))
    now = 1_500
    expect(Option.isSome(await run(store.get("kept")))).toBe(true)
    expect(Option.isNone(await run(store.get("idle")))).toBe(true)
  })

  it("runs one holder of a key's lock at a time, other keys in parallel", async () => {
    const store = memorySessionStore()
    const order: string[] = []
    const hold = (key: string, name: string) =>
      store.withLock(
        key,
        Effect.gen(function* () {
          order.push(`${name}+`)
          yield* Effect.sleep(20)
          order.push(`${name}-`)
        }),
      )
    await run(Effect.all([hold("k", "a"), hold("k", "b"), hold("other", "c")], { concurrency: "unbounded" }))
    expect(order.indexOf("a-")).toBeLessThan(order.indexOf("b+"))
    expect(order.indexOf("c+")).toBeLessThan(order.indexOf("a-"))
  })
})
