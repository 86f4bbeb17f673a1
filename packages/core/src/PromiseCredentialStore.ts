/**
 * Credential stores written with Promises, for apps that keep credentials in their own database
 * and never touch Effect. The Promise API's `store` option takes one as it is; this module is the
 * one place where it is adapted to the {@link CredentialStoreService} the flows run on.
 *
 * @module
 */
import * as Effect from "effect/Effect"
import type * as Exit from "effect/Exit"
import * as Option from "effect/Option"
import * as Runtime from "effect/Runtime"
import type { CredentialStoreService } from "./CredentialStore.js"
import { type Credentials, decodeCredentials } from "./Credentials.js"
import { PersistenceError } from "./Errors.js"

/**
 * A credential store with Promise-returning methods. The contract is the one every store keeps:
 *
 * - `withLock(key, fn)` runs `fn` while holding a lock on `key` that every process sharing the
 *   store respects (a row lock, an advisory lock, a lease), and resolves or rejects with `fn`'s
 *   outcome once the lock is released. Renewal runs inside it.
 * - Inside the lock grantflow calls `get(key)` again before it asks the token endpoint for
 *   anything: another holder of the lock may have renewed already, and its refresh token may be
 *   the only valid one left. So `get` must read the store itself, not a cache of it.
 * - `set` stores the credentials as given (a JSON object); `remove` forgets them. A rejection
 *   becomes a `PersistenceError` and the new credentials are kept in memory and saved again.
 *
 * What `get` returns is decoded with the `Credentials` schema: a corrupted record is a
 * `PersistenceError`, never a token request with garbage.
 *
 * @example
 * ```ts
 * const store: PromiseCredentialStore = {
 *   get: async (key) => (await db.row("select data from tokens where key = $1", [key]))?.data,
 *   set: (key, credentials) => db.upsert("tokens", { key, data: credentials }),
 *   remove: (key) => db.delete("tokens", { key }),
 *   withLock: (key, fn) => db.transaction((tx) => tx.lockRow("tokens", key).then(fn)),
 * }
 * ```
 * @see https://www.rfc-editor.org/rfc/rfc9700#section-4.14.2
 */
export interface PromiseCredentialStore {
  get(key: string): Promise<Credentials | null | undefined>
  set(key: string, credentials: Credentials): Promise<void>
  remove(key: string): Promise<void>
  withLock<T>(key: string, fn: () => Promise<T>): Promise<T>
}

/** Whatever the Promise API's `store` option accepts: either shape. */
export type AnyCredentialStore = CredentialStoreService | PromiseCredentialStore

const storeFailed = (cause: unknown) => new PersistenceError({ reason: "Store", cause })

// The record may hold tokens, so the schema's message (which quotes the values) is not kept.
const corrupted = () =>
  new PersistenceError({ reason: "Store", cause: "the stored record is not grantflow Credentials" })

const decodeRecord = (record: unknown): Effect.Effect<Option.Option<Credentials>, PersistenceError> =>
  record === null || record === undefined
    ? Effect.succeed(Option.none())
    : Effect.map(Effect.mapError(decodeCredentials(record), corrupted), Option.some)

const settle = <A>(promise: Promise<A>) => Effect.tryPromise({ try: () => promise, catch: storeFailed })

/**
 * Adapts a store of either shape to the service the flows run on. The shapes are told apart by
 * what a method returns, an Effect or a Promise, so no flag is needed. `withLock` is first offered
 * a function: a Promise-shaped store runs it under its lock, while an Effect-shaped store only
 * describes work, so its answer is dropped unrun and the store is asked again with the Effect.
 *
 * @see https://www.rfc-editor.org/rfc/rfc9700#section-4.14.2
 */
export const toCredentialStoreService = (store: AnyCredentialStore): CredentialStoreService => {
  const either = store as {
    readonly [K in keyof CredentialStoreService]: (
      ...args: ReadonlyArray<unknown>
    ) => Effect.Effect<unknown, PersistenceError> | Promise<unknown>
  }
  return {
    get: (key) =>
      Effect.suspend(() => {
        const result = either.get(key)
        return Effect.isEffect(result)
          ? (result as ReturnType<CredentialStoreService["get"]>)
          : Effect.flatMap(settle(result), decodeRecord)
      }),
    set: (key, credentials) =>
      Effect.suspend(() => {
        const result = either.set(key, credentials)
        return Effect.isEffect(result) ? Effect.asVoid(result) : Effect.asVoid(settle(result))
      }),
    remove: (key) =>
      Effect.suspend(() => {
        const result = either.remove(key)
        return Effect.isEffect(result) ? Effect.asVoid(result) : Effect.asVoid(settle(result))
      }),
    withLock: <A, E, R>(key: string, effect: Effect.Effect<A, E, R>) =>
      Effect.flatMap(Effect.runtime<R>(), (runtime) =>
        Effect.suspend(() => {
          const abort = new AbortController()
          const result = either.withLock(key, () =>
            Runtime.runPromiseExit(runtime)(effect, { signal: abort.signal }),
          )
          if (Effect.isEffect(result)) return (store as CredentialStoreService).withLock(key, effect)
          // Interrupting the caller aborts the work inside the lock; the store then releases it.
          return settle(result as Promise<Exit.Exit<A, E>>).pipe(
            Effect.onInterrupt(() => Effect.sync(() => abort.abort())),
            Effect.flatten,
          )
        }),
      ),
  }
}

/**
 * A Promise-shaped store as the Effect service, e.g. for
 * `Layer.succeed(CredentialStore.CredentialStore, fromPromiseStore(store))`.
 *
 * @see https://www.rfc-editor.org/rfc/rfc9700#section-4.14.2
 */
export const fromPromiseStore: (store: PromiseCredentialStore) => CredentialStoreService =
  toCredentialStoreService
