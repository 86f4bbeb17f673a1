/**
 * Static token: a caller that already holds an access token. grantflow never renews it; once it
 * expires, calls fail with `TokenExpired` until the caller replaces it.
 *
 * @see https://www.rfc-editor.org/rfc/rfc6750#section-2.1
 * @module
 */
import { initialContext, lifecycle, type Obtained } from "./lifecycle.js"

const replace = {
  guard: "replacementHasToken",
  target: "valid",
  actions: {
    type: "adopt",
    params: ({ event }: { event: { type: string; obtained?: Obtained } }) => ({ obtained: event.obtained! }),
  },
} as const

const forget = {
  target: "reauthenticationRequired",
  actions: { type: "forget", params: { revokeFailure: undefined } },
} as const

/**
 * The static token flow as a statechart: `valid` until `expiresAt`, then `expired` until the
 * caller replaces the token. Revoking only forgets it: there is no provider to tell.
 *
 * @see https://www.rfc-editor.org/rfc/rfc6750#section-2.1
 */
export const staticTokenMachine = lifecycle.createMachine({
  id: "staticToken",
  initial: "valid",
  context: ({ input }) => initialContext({ ...input, marginMs: 0, renewsWith: "none" }),
  states: {
    valid: {
      tags: ["authorized"],
      // Started without a token (machine embedders can), it waits for one like an expired token.
      always: {
        guard: ({ context }) => context.credentials === undefined,
        target: "expired",
        actions: "expire",
      },
      on: {
        ACCESS_TOKEN_REQUESTED: { guard: "expiredForGood", target: "expired", actions: "expire" },
        CREDENTIALS_REPLACED: replace,
        REVOKE_REQUESTED: forget,
      },
    },
    // Handlers sit on each state, not the root: a done machine must ignore every event.
    expired: { on: { CREDENTIALS_REPLACED: replace, REVOKE_REQUESTED: forget } },
    reauthenticationRequired: { type: "final" },
  },
})
