/**
 * Static token: a caller that already holds an access token. grantflow never renews it; once it
 * expires, calls fail with `TokenExpired` until the caller replaces it.
 *
 * @see https://www.rfc-editor.org/rfc/rfc6750#section-2.1
 * @module
 */
import { initialContext, lifecycle } from "./lifecycle.js"

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
      on: {
        ACCESS_TOKEN_REQUESTED: { guard: "expiredForGood", target: "expired", actions: "expire" },
        CREDENTIALS_REPLACED: {
          target: "valid",
          actions: { type: "adopt", params: ({ event }) => ({ obtained: event.obtained }) },
        },
        REVOKE_REQUESTED: {
          target: "reauthenticationRequired",
          actions: { type: "forget", params: { revokeFailure: undefined } },
        },
      },
    },
    expired: {
      on: {
        CREDENTIALS_REPLACED: {
          target: "valid",
          actions: { type: "adopt", params: ({ event }) => ({ obtained: event.obtained }) },
        },
        REVOKE_REQUESTED: {
          target: "reauthenticationRequired",
          actions: { type: "forget", params: { revokeFailure: undefined } },
        },
      },
    },
    reauthenticationRequired: { type: "final" },
  },
})
