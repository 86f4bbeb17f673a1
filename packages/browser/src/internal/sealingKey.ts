import { readOrWrite } from "./indexedDb.js"

const recordName = "pending-login"

/**
 * The AES-GCM key that seals this origin's pending logins in sessionStorage. It must outlive the
 * trip to the authorization server, which unloads the page, so it is kept in IndexedDB (whatever
 * `persist` says about credentials) as a non-extractable CryptoKey: scripts may use it while it
 * is there, but no script, extension dump or copied storage can read its bytes.
 */
export const sealingKey = async (db: IDBDatabase): Promise<CryptoKey> => {
  const candidate = await crypto.subtle.generateKey({ name: "AES-GCM", length: 256 }, false, [
    "encrypt",
    "decrypt",
  ])
  return (await readOrWrite(db, "keys", recordName, candidate)) as CryptoKey
}
