/**
 * The default credential store of `auth()`: in memory, bounded, with idle sessions expiring.
 *
 * @module
 */
import type { CredentialStore, Credentials } from "@grantflow/core"
import * as Effect from "effect/Effect"
import * as Option from "effect/Option"

/** Options of {@link memorySessionStore}. */
export interface MemorySessionStoreOptions {
  /** The most sessions kept; past it the least recently used one is forgotten. Default 100,000. */
  readonly maxSessions?: number | undefined
  /** A session untouched (not read nor written) this long is forgotten. Default 7 days. */
  readonly idleTimeoutMs?: number | undefined
  /** The time source, for tests. Default `Date.now`. */
  readonly now?: (() => number) | undefined
}

interface Entry {
  readonly credentials: Credentials
  touchedAt: number
}

const defaultMaxSessions = 100_000
const defaultIdleTimeoutMs = 7 * 24 * 60 * 60 * 1000

/**
 * A `CredentialStoreService` in process memory for one Express process: each signed-in user costs
 * one record, bounded in number (least recently used first out) and forgotten after an idle
 * time. Its lock is an in-process mutex per key, dropped when nobody holds or waits for it, so
 * idle users cost no lock. Across processes, use a shared store (Redis) instead.
 *
 * @see https://www.rfc-editor.org/rfc/rfc6749#section-10.4
 */
export const memorySessionStore = (
  options: MemorySessionStoreOptions = {},
): CredentialStore.CredentialStoreService => {
  const maxSessions = options.maxSessions ?? defaultMaxSessions
  const idleTimeoutMs = options.idleTimeoutMs ?? defaultIdleTimeoutMs
  const now = options.now ?? Date.now
  // A Map iterates in insertion order: re-inserting on touch keeps the least recent first.
  const entries = new Map<string, Entry>()
  const locks = new Map<string, { readonly semaphore: Effect.Semaphore; users: number }>()

  const read = (key: string): Credentials | undefined => {
    const entry = entries.get(key)
    if (entry === undefined) return undefined
    const at = now()
    entries.delete(key)
    if (at - entry.touchedAt > idleTimeoutMs) return undefined
    entry.touchedAt = at
    entries.set(key, entry)
    return entry.credentials
  }

  const write = (key: string, credentials: Credentials) => {
    const at = now()
    entries.delete(key)
    entries.set(key, { credentials, touchedAt: at })
    // Expired entries sit at the front: drop them, then the oldest ones past the bound.
    for (const [oldest, entry] of entries) {
      if (entries.size <= maxSessions && at - entry.touchedAt <= idleTimeoutMs) break
      entries.delete(oldest)
    }
  }

  const withLock = <A, E, R>(key: string, effect: Effect.Effect<A, E, R>): Effect.Effect<A, E, R> =>
    Effect.suspend(() => {
      let lock = locks.get(key)
      if (lock === undefined) {
        lock = { semaphore: Effect.unsafeMakeSemaphore(1), users: 0 }
        locks.set(key, lock)
      }
      const held = lock
      held.users += 1
      return held.semaphore
        .withPermits(1)(effect)
        .pipe(
          Effect.ensuring(
            Effect.sync(() => {
              held.users -= 1
              if (held.users === 0) locks.delete(key)
            }),
          ),
        )
    })

  return {
    get: (key) => Effect.sync(() => Option.fromNullable(read(key))),
    set: (key, credentials) => Effect.sync(() => write(key, credentials)),
    remove: (key) => Effect.sync(() => void entries.delete(key)),
    withLock,
  }
}
