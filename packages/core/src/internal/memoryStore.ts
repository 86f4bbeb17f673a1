import * as Effect from "effect/Effect"
import * as Option from "effect/Option"
import type { CredentialStoreService } from "../CredentialStore.js"
import type { Credentials } from "../Credentials.js"

/** The memory store of `CredentialStore.makeMemory`, built without a fiber (Promise-API sources). */
export const memoryStore = (): CredentialStoreService => {
  const records = new Map<string, Credentials>()
  const locks = new Map<string, Effect.Semaphore>()
  const lockFor = (key: string) => {
    let lock = locks.get(key)
    if (lock === undefined) {
      lock = Effect.unsafeMakeSemaphore(1)
      locks.set(key, lock)
    }
    return lock
  }
  return {
    get: (key) => Effect.sync(() => Option.fromNullable(records.get(key))),
    set: (key, credentials) => Effect.sync(() => void records.set(key, credentials)),
    remove: (key) => Effect.sync(() => void records.delete(key)),
    withLock: (key, effect) => lockFor(key).withPermits(1)(effect),
  }
}
