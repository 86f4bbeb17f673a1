/**
 * Renewal arithmetic and the credentials that errors carry: what the flows' actors and facades
 * compute for the machines, which only compare the results.
 *
 * @module
 */
import type { Held, Obtained } from "../machines/lifecycle.js"

/** Default renewal margin: renew a minute before expiry. */
export const defaultMarginMs = 60_000

/**
 * When to renew: `marginMs` before expiry, but never more than half the token's lifetime, so a
 * token that lives 30 s is used for 15 s instead of being renewed on every call.
 */
export const renewAtOf = (obtained: Obtained, marginMs: number): number | undefined => {
  const { expiresAt } = obtained.credentials
  if (expiresAt === undefined) return undefined
  const lifetime = Math.max(0, expiresAt - obtained.obtainedAt)
  return expiresAt - Math.min(marginMs, lifetime / 2)
}

/** Obtained credentials with when they fall due, as a flow machine holds them. */
export const held = (obtained: Obtained, marginMs: number): Held => ({
  credentials: obtained.credentials,
  obtainedAt: obtained.obtainedAt,
  renewAt: renewAtOf(obtained, marginMs),
})

// Unsaved credentials ride on their error in a WeakMap: no property, hidden or not, holds them,
// so neither logs, `JSON.stringify` nor `util.inspect(error, { showHidden: true })` reach them.
const unsaved = new WeakMap<object, Obtained>()

/** Attaches unsaved credentials to an error where no inspection reaches them. */
export const withUnsaved = <E extends object>(error: E, obtained: Obtained): E => {
  unsaved.set(error, obtained)
  return error
}

/** The credentials an error carries because they could not be saved, if any. */
// A WeakMap answers undefined for a key that cannot be one (a string, null): no check needed.
export const unsavedOf = (error: unknown): Obtained | undefined => unsaved.get(error as object)
