/**
 * The few IndexedDB operations the browser adapter needs, as Promises: one database with a
 * store of credentials and a store of keys (a non-extractable CryptoKey is kept there as the
 * structured clone of the key object, never as bytes a script could read).
 */

export type ObjectStoreName = "credentials" | "keys"

const version = 1

const settle = <A>(request: IDBRequest<A>): Promise<A> =>
  new Promise((resolve, reject) => {
    request.onsuccess = () => resolve(request.result)
    request.onerror = () => reject(request.error)
  })

/** Opens (and on first use creates) the adapter's database. */
export const openDatabase = (factory: IDBFactory, name: string): Promise<IDBDatabase> => {
  const request = factory.open(name, version)
  request.onupgradeneeded = () => {
    for (const store of ["credentials", "keys"] satisfies ObjectStoreName[]) {
      if (!request.result.objectStoreNames.contains(store)) request.result.createObjectStore(store)
    }
  }
  return settle(request).then((db) => {
    // Another tab upgrading the schema must not be blocked by this one.
    db.onversionchange = () => db.close()
    return db
  })
}

/** Reads one record. */
export const read = (db: IDBDatabase, store: ObjectStoreName, key: string): Promise<unknown> =>
  settle(db.transaction(store, "readonly").objectStore(store).get(key))

// Resolves once the write is durable for other tabs' readers, not merely queued.
const commit = (transaction: IDBTransaction): Promise<void> =>
  new Promise((resolve, reject) => {
    transaction.oncomplete = () => resolve()
    transaction.onerror = () => reject(transaction.error)
    transaction.onabort = () => reject(transaction.error ?? new Error("IndexedDB transaction aborted"))
  })

/** Writes one record. */
export const write = (
  db: IDBDatabase,
  store: ObjectStoreName,
  key: string,
  value: unknown,
): Promise<void> => {
  const transaction = db.transaction(store, "readwrite")
  transaction.objectStore(store).put(value, key)
  return commit(transaction)
}

/** Deletes one record. */
export const remove = (db: IDBDatabase, store: ObjectStoreName, key: string): Promise<void> => {
  const transaction = db.transaction(store, "readwrite")
  transaction.objectStore(store).delete(key)
  return commit(transaction)
}

/**
 * Returns the record under `key`, storing `candidate` first when there is none. One readwrite
 * transaction, so two tabs racing here end up with the same value.
 */
export const readOrWrite = async (
  db: IDBDatabase,
  store: ObjectStoreName,
  key: string,
  candidate: unknown,
): Promise<unknown> => {
  const transaction = db.transaction(store, "readwrite")
  const objects = transaction.objectStore(store)
  let result: unknown = candidate
  const lookup = objects.get(key)
  // Written from the request's own callback: the transaction is still active there.
  lookup.onsuccess = () => {
    if (lookup.result === undefined) objects.put(candidate, key)
    else result = lookup.result
  }
  await commit(transaction)
  return result
}
