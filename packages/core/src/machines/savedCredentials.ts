/**
 * Saved credentials: resume a user's stored tokens, renewing with the refresh token and telling
 * the app each time the credentials change.
 *
 * @see https://www.rfc-editor.org/rfc/rfc6749#section-6
 * @module
 */
import { initialContext, lifecycle, renewalStates } from "./lifecycle.js"

/**
 * The saved credentials flow as a statechart: it starts `valid` with the given credentials (due
 * for renewal at once if they have expired).
 *
 * @see https://www.rfc-editor.org/rfc/rfc6749#section-6
 */
export const savedCredentialsMachine = lifecycle.createMachine({
  id: "savedCredentials",
  initial: "valid",
  context: ({ input }) => initialContext({ ...input, renewsWith: "refresh_token" }),
  states: {
    ...renewalStates,
    // Started without credentials (machine embedders can), there is nothing to authorize with.
    valid: {
      ...renewalStates.valid,
      always: {
        guard: ({ context }) => context.credentials === undefined,
        target: "reauthenticationRequired",
        actions: "endForGood",
      },
    },
  },
})
