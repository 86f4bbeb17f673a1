import type { Credentials, PromiseCredentialStore } from "@grantflow/core"

/**
 * A Promise-shaped store the way an app writes one over its own database: records kept as JSON
 * text, and a lock per key that queues holders one after another. Shared by several sources, it
 * stands for one database shared by several instances of a server.
 */
export const promiseStore = () => {
  const rows = new Map<string, string>()
  const locks = new Map<string, Promise<unknown>>()
  const store: PromiseCredentialStore = {
    get: async (key) => {
      const row = rows.get(key)
      return row === undefined ? undefined : JSON.parse(row)
    },
    set: async (key, credentials: Credentials) => {
      rows.set(key, JSON.stringify(credentials))
    },
    remove: async (key) => {
      rows.delete(key)
    },
    withLock: (key, fn) => {
      const previous = locks.get(key) ?? Promise.resolve()
      const run = previous.then(fn, fn)
      locks.set(
        key,
        run.catch(() => {}),
      )
      return run
    },
  }
  return { store, rows }
}
