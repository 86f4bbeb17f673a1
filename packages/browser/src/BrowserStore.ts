/**
 * A credential store for browsers: credentials in IndexedDB (shared by the origin's tabs, never
 * in localStorage), renewals serialised across tabs by a Web Lock per key, and every change
 * announced to the other tabs on a BroadcastChannel.
 *
 * @module
 */
import type { CredentialStoreService } from "@grantflow/core/CredentialStore"
import { type Credentials, decodeCredentials } from "@grantflow/core/Credentials"
import { PersistenceError } from "@grantflow/core/Errors"
import * as Effect from "effect/Effect"
import type * as Exit from "effect/Exit"
import * as Option from "effect/Option"
import * as Runtime from "effect/Runtime"
import * as Idb from "./internal/indexedDb.js"

/** What another tab did under a key. Carries no credentials: the tabs re-read IndexedDB. */
export interface StoreChange {
  readonly type: "set" | "remove"
  readonly key: string
}

/** The browser APIs the store works with; each defaults to the page's own. */
export interface BrowserStoreOptions {
  /** The IndexedDB database and BroadcastChannel name. Default `grantflow`. */
  readonly name?: string | undefined
  readonly indexedDB?: IDBFactory | undefined
  readonly locks?: LockManager | undefined
  readonly BroadcastChannel?: typeof BroadcastChannel | undefined
}

/** A {@link CredentialStoreService} that also tells this tab what the other tabs changed. */
export interface BrowserStore extends CredentialStoreService {
  /** Calls `listener` after each change another tab made; returns the unsubscribe function. */
  readonly subscribe: (listener: (change: StoreChange) => void) => () => void
  /** The database, opened once, for other records of the adapter (the sealing key). */
  readonly database: () => Promise<IDBDatabase>
  /** Closes the channel and the database. */
  readonly close: () => void
}

/** The Web Lock that serialises renewals of `key` across the origin's tabs. */
export const lockName = (key: string): string => `grantflow:${key}`

const storeError = (cause: unknown) => new PersistenceError({ reason: "Store", cause })

const missing = (what: string) =>
  new PersistenceError({ reason: "Store", cause: new Error(`this browser has no ${what}`) })

/**
 * Makes the store. The lock is held from before the re-read to after the write of renewed
 * credentials, so a tab that waited for it reads what the previous holder saved; a tab closed
 * while holding it releases it (the browser ends its locks), so the others are never stuck.
 *
 * @see https://www.rfc-editor.org/rfc/rfc9700#section-4.14.2
 * @see https://w3c.github.io/web-locks/
 */
export const makeBrowserStore = (options: BrowserStoreOptions = {}): BrowserStore => {
  const name = options.name ?? "grantflow"
  const factory = options.indexedDB ?? globalThis.indexedDB
  const locks = options.locks ?? globalThis.navigator?.locks
  const Channel = options.BroadcastChannel ?? globalThis.BroadcastChannel
  const listeners = new Set<(change: StoreChange) => void>()
  const tell = (change: StoreChange) => {
    for (const listener of listeners) listener(change)
  }
  const channel = Channel === undefined ? undefined : new Channel(name)
  if (channel !== undefined) {
    channel.onmessage = (event: MessageEvent<unknown>) => {
      const data = event.data as Partial<StoreChange> | null
      if ((data?.type === "set" || data?.type === "remove") && typeof data.key === "string") {
        tell({ type: data.type, key: data.key })
      }
    }
  }
  // Only the other tabs are told: this tab's own writes come from its own token source.
  const announce = (change: StoreChange) => channel?.postMessage(change)

  let opened: Promise<IDBDatabase> | undefined
  const database = () => {
    if (factory === undefined) return Promise.reject(missing("IndexedDB"))
    opened ??= Idb.openDatabase(factory, name)
    return opened
  }
  const run = <A>(operation: (db: IDBDatabase) => Promise<A>) =>
    Effect.tryPromise({ try: () => database().then(operation), catch: storeError })

  const withLock = <A, E, R>(
    key: string,
    effect: Effect.Effect<A, E, R>,
  ): Effect.Effect<A, E | PersistenceError, R> =>
    locks === undefined
      ? Effect.fail(missing("Web Locks (navigator.locks)"))
      : Effect.flatMap(Effect.runtime<R>(), (runtime) =>
          Effect.tryPromise({
            // Interrupting the caller aborts the wait for the lock, or the work inside it.
            try: async (signal) => {
              let exit: Exit.Exit<A, E> | undefined
              await locks.request(lockName(key), { signal }, async () => {
                exit = await Runtime.runPromiseExit(runtime)(effect, { signal })
              })
              return exit!
            },
            catch: storeError,
          }).pipe(Effect.flatten),
        )

  return {
    get: (key) =>
      run((db) => Idb.read(db, "credentials", key)).pipe(
        Effect.flatMap((record) =>
          record === undefined
            ? Effect.succeed(Option.none<Credentials>())
            : decodeCredentials(record).pipe(Effect.map(Option.some), Effect.mapError(storeError)),
        ),
      ),
    set: (key, credentials) =>
      run((db) => Idb.write(db, "credentials", key, credentials)).pipe(
        Effect.tap(() => announce({ type: "set", key })),
      ),
    remove: (key) =>
      run((db) => Idb.remove(db, "credentials", key)).pipe(
        Effect.tap(() => announce({ type: "remove", key })),
      ),
    withLock,
    subscribe: (listener) => {
      listeners.add(listener)
      return () => void listeners.delete(listener)
    },
    database,
    close: () => {
      channel?.close()
      listeners.clear()
      void opened?.then((db) => db.close())
    },
  }
}
