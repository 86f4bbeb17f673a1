/**
 * The pending logins this process has sent to the token endpoint, by `state`. Sending a code
 * twice makes servers such as oidc-provider revoke the whole grant (RFC 6749 §4.1.2), killing
 * the first, legitimate session; a second completion is refused before it is sent.
 *
 * Bounded and expiring: an entry lives as long as its pending login could be accepted, and past
 * `maxEntries` the oldest goes (a pending that old is refused as expired in any normal set-up).
 */
const maxEntries = 10_000
const completed = new Map<string, number>()

/**
 * Marks `state` as completed until `until` (epoch ms). False when it was completed already:
 * the caller must not exchange its code. Synchronous, so two concurrent completions cannot both
 * pass.
 */
export const markCompleted = (state: string, until: number, now: number): boolean => {
  for (const [seen, expiresAt] of completed) {
    if (expiresAt > now && completed.size < maxEntries) break
    completed.delete(seen)
  }
  const previous = completed.get(state)
  if (previous !== undefined && previous > now) return false
  completed.set(state, until)
  return true
}
