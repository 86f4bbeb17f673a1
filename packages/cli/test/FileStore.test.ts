import { mkdtemp, readdir, stat, writeFile } from "node:fs/promises"
import { tmpdir } from "node:os"
import { join } from "node:path"
import type { Credentials } from "@grantflow/core"
import * as Effect from "effect/Effect"
import * as Option from "effect/Option"
import { describe, expect, it } from "vitest"
import { fileStore } from "../src/index.js"

const credentials = (accessToken: string): Credentials => ({
  accessToken,
  tokenType: "Bearer",
  scopes: ["user-read-email"],
  expiresAt: 1_900_000_000_000,
  refreshToken: `refresh-${accessToken}`,
  grantId: "grant-1",
  revision: 0,
})

const temp = () => mkdtemp(join(tmpdir(), "grantflow-store-"))

describe("fileStore", () => {
  it("keeps one 0600 file per profile in a 0700 folder under XDG_CONFIG_HOME", async () => {
    const home = await temp()
    const previous = process.env.XDG_CONFIG_HOME
    process.env.XDG_CONFIG_HOME = home
    try {
      const store = fileStore()
      expect(store.directory).toBe(join(home, "grantflow"))
      await Effect.runPromise(store.set("work", credentials("a")))
      expect(Option.getOrThrow(await Effect.runPromise(store.get("work")))).toEqual(credentials("a"))
      expect((await stat(store.directory)).mode & 0o777).toBe(0o700)
      expect((await stat(await store.pathOf("work"))).mode & 0o777).toBe(0o600)
      expect(await readdir(store.directory)).toEqual(["work.json"])
      await Effect.runPromise(store.remove("work"))
      expect(Option.isNone(await Effect.runPromise(store.get("work")))).toBe(true)
    } finally {
      if (previous === undefined) delete process.env.XDG_CONFIG_HOME
      else process.env.XDG_CONFIG_HOME = previous
    }
  })

  it("maps keys that are not profile names to hashed file names inside the folder", async () => {
    const store = fileStore({ directory: await temp() })
    const key = "../../etc/passwd#https://example.test/token"
    await Effect.runPromise(store.set(key, credentials("b")))
    const path = await store.pathOf(key)
    expect(path.startsWith(store.directory)).toBe(true)
    expect(path).toMatch(/key-[0-9a-f]{32}\.json$/)
    expect(Option.getOrThrow(await Effect.runPromise(store.get(key))).accessToken).toBe("b")
  })

  it("a corrupted file is a PersistenceError, not credentials", async () => {
    const store = fileStore({ directory: await temp() })
    await Effect.runPromise(store.set("p", credentials("c")))
    await writeFile(await store.pathOf("p"), '{"accessToken": 42}')
    const result = await Effect.runPromise(Effect.either(store.get("p")))
    expect(result).toMatchObject({ _tag: "Left", left: { _tag: "PersistenceError", reason: "Store" } })
  })

  it("withLock runs one holder at a time per key, and releases on failure", async () => {
    const store = fileStore({ directory: await temp() })
    const order: string[] = []
    const holder = (name: string) =>
      store.withLock(
        "p",
        Effect.gen(function* () {
          order.push(`${name} in`)
          yield* Effect.sleep(30)
          order.push(`${name} out`)
        }),
      )
    await Effect.runPromise(Effect.all([holder("a"), holder("b")], { concurrency: 2 }))
    expect(order).toEqual(
      order[0] === "a in" ? ["a in", "a out", "b in", "b out"] : ["b in", "b out", "a in", "a out"],
    )
    await Effect.runPromise(Effect.either(store.withLock("p", Effect.fail("boom"))))
    expect(await Effect.runPromise(store.withLock("p", Effect.succeed("free again")))).toBe("free again")
  })

  it("takes over a lock left by a process that died", async () => {
    const store = fileStore({ directory: await temp(), lockTimeoutMs: 2000 })
    await Effect.runPromise(store.set("p", credentials("d")))
    // No process has this pid (above the kernel's pid_max), as after a SIGKILL mid-renewal.
    await writeFile(join(store.directory, "p.lock"), "4194305")
    expect(await Effect.runPromise(store.withLock("p", Effect.succeed("taken")))).toBe("taken")
  })

  it("a lock held by a live process is waited for, then fails with PersistenceError", async () => {
    const store = fileStore({ directory: await temp(), lockTimeoutMs: 200 })
    await Effect.runPromise(store.set("p", credentials("e")))
    await writeFile(join(store.directory, "p.lock"), String(process.ppid))
    const result = await Effect.runPromise(Effect.either(store.withLock("p", Effect.succeed("never"))))
    expect(result).toMatchObject({ _tag: "Left", left: { _tag: "PersistenceError" } })
  })
})
