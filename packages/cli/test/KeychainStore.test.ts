import { mkdtemp, readdir } from "node:fs/promises"
import { tmpdir } from "node:os"
import { join } from "node:path"
import type { Credentials } from "@grantflow/core"
import * as Effect from "effect/Effect"
import * as Option from "effect/Option"
import { describe, expect, it } from "vitest"
import { chooseStore, type Keyring } from "../src/index.js"

const credentials: Credentials = { accessToken: "at", tokenType: "Bearer", scopes: ["s"], refreshToken: "rt" }
const temp = () => mkdtemp(join(tmpdir(), "grantflow-keychain-"))

/** A fake keyring (fault injection): every call fails, as with no D-Bus session in a container. */
const absentKeyring: Keyring = {
  Entry: class {
    getPassword(): string | null {
      throw new Error("Platform failure: no Secret Service")
    }
    setPassword(): void {
      throw new Error("Platform failure: no Secret Service")
    }
    deletePassword(): boolean {
      throw new Error("Platform failure: no Secret Service")
    }
  },
}

/** A fake keyring in memory, standing in for a desktop's keychain. */
const memoryKeyring = (): Keyring & { readonly secrets: Map<string, string> } => {
  const secrets = new Map<string, string>()
  return {
    secrets,
    Entry: class {
      readonly #id: string
      constructor(service: string, account: string) {
        this.#id = `${service}/${account}`
      }
      getPassword() {
        return secrets.get(this.#id) ?? null
      }
      setPassword(password: string) {
        secrets.set(this.#id, password)
      }
      deletePassword() {
        return secrets.delete(this.#id)
      }
    },
  }
}

const roundTrip = async (store: Awaited<ReturnType<typeof chooseStore>>["store"], key: string) => {
  await Effect.runPromise(store.set(key, credentials))
  const read = Option.getOrThrow(await Effect.runPromise(store.get(key)))
  await Effect.runPromise(store.remove(key))
  return read
}

describe("the OS keychain, with the file store as fallback", () => {
  it("falls back to the file store when no keychain answers", async () => {
    const directory = await temp()
    const chosen = await chooseStore({ directory, keyring: absentKeyring })
    expect(chosen.kind).toBe("file")
    await Effect.runPromise(chosen.store.set("work", credentials))
    expect(await readdir(directory)).toEqual(["work.json"])
  })

  it("uses the keychain when one answers: nothing secret on disk, the lock file still between processes", async () => {
    const directory = await temp()
    const keyring = memoryKeyring()
    const chosen = await chooseStore({ directory, keyring })
    expect(chosen.kind).toBe("keychain")
    await Effect.runPromise(chosen.store.withLock("work", chosen.store.set("work", credentials)))
    expect(JSON.parse(keyring.secrets.get("grantflow/work")!)).toEqual(credentials)
    expect(await readdir(directory)).toEqual([])
    expect(await roundTrip(chosen.store, "work")).toEqual(credentials)
    expect(keyring.secrets.size).toBe(0)
  })

  it("GRANTFLOW_STORE=file's choice, kind file, skips the keychain", async () => {
    const chosen = await chooseStore({ directory: await temp(), keyring: memoryKeyring(), kind: "file" })
    expect(chosen.kind).toBe("file")
  })

  it("with the real @napi-rs/keyring, whichever store this machine offers keeps credentials", async () => {
    const chosen = await chooseStore({ directory: await temp() })
    // A desktop answers with its keychain; CI and containers (no Secret Service) with files.
    expect(["keychain", "file"]).toContain(chosen.kind)
    expect(await roundTrip(chosen.store, `grantflow-test-${process.pid}`)).toEqual(credentials)
  })
})
