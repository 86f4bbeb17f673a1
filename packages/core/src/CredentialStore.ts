/**
 * Where credentials live between renewals, and the lock that lets one renewal happen at a time
 * per key, across tabs, processes or instances when the store reaches that far.
 *
 * @module
 */
import * as Context from "effect/Context"
import * as Effect from "effect/Effect"
import * as Layer from "effect/Layer"
import type * as Option from "effect/Option"
import type { Credentials } from "./Credentials.js"
import type { PersistenceError } from "./Errors.js"
import { memoryStore } from "./internal/memoryStore.js"

/**
 * A credential store. Renewal runs inside `withLock(key, ...)` and re-reads `get(key)` there
 * before deciding to call the token endpoint: another holder of the lock may have renewed
 * already. A store keeps credentials whole, `grantId` and `revision` included: sources use them
 * to adopt only their own grant's later records and never to go back to older ones. Adapters add
 * file, browser and Redis stores with the same contract.
 *
 * @see https://www.rfc-editor.org/rfc/rfc9700#section-4.14.2
 */
export interface CredentialStoreService {
  readonly get: (key: string) => Effect.Effect<Option.Option<Credentials>, PersistenceError>
  readonly set: (key: string, credentials: Credentials) => Effect.Effect<void, PersistenceError>
  readonly remove: (key: string) => Effect.Effect<void, PersistenceError>
  readonly withLock: <A, E, R>(
    key: string,
    effect: Effect.Effect<A, E, R>,
  ) => Effect.Effect<A, E | PersistenceError, R>
}

/**
 * The credential store service tag.
 *
 * @see https://www.rfc-editor.org/rfc/rfc6749#section-10.4
 */
export class CredentialStore extends Context.Tag("@grantflow/core/CredentialStore")<
  CredentialStore,
  CredentialStoreService
>() {}

/**
 * An in-memory store whose lock is a plain in-process mutex per key. It is the default when no
 * store is given: credentials then last as long as the process.
 *
 * @see https://www.rfc-editor.org/rfc/rfc6749#section-10.4
 */
export const makeMemory: Effect.Effect<CredentialStoreService> = Effect.sync(memoryStore)

/**
 * {@link makeMemory} as a layer.
 *
 * @see https://www.rfc-editor.org/rfc/rfc6749#section-10.4
 */
export const layerMemory: Layer.Layer<CredentialStore> = Layer.effect(CredentialStore, makeMemory)
