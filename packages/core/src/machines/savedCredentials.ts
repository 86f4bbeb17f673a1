/**
 * Saved credentials: resume a user's stored tokens, renewing with the refresh token and telling
 * the app each time the credentials change.
 *
 * @see https://www.rfc-editor.org/rfc/rfc6749#section-6
 * @module
 */
import { setup } from "xstate"
import {
  holdsRefreshToken,
  type RenewalContext,
  type RenewalEvent,
  type RenewalInput,
  renewalActions,
  renewalActors,
  renewalContext,
  renewalGuards,
  renewalStates,
} from "./lifecycle.js"

/**
 * The saved credentials flow as a statechart: it starts `valid` with the given credentials (due
 * for renewal at once if they have expired).
 *
 * @see https://www.rfc-editor.org/rfc/rfc6749#section-6
 */
export const savedCredentialsMachine = setup({
  types: {
    context: {} as RenewalContext,
    events: {} as RenewalEvent,
    input: {} as RenewalInput,
  },
  actors: renewalActors,
  guards: {
    ...renewalGuards(holdsRefreshToken),
    holdsNothing: ({ context }) => context.credentials === undefined,
  },
  actions: renewalActions<RenewalContext, RenewalEvent>(),
}).createMachine({
  id: "savedCredentials",
  initial: "valid",
  context: ({ input }) => renewalContext(input),
  states: {
    ...renewalStates,
    // Started without credentials (machine embedders can), there is nothing to authorize with.
    valid: {
      ...renewalStates.valid,
      always: { guard: "holdsNothing", target: "reauthenticationRequired", actions: "endForGood" },
    },
  },
})
