/**
 * Client credentials: app-only tokens for backends, daemons and scripts. There is no refresh
 * token; when the token is due the machine requests a new one.
 *
 * @see https://www.rfc-editor.org/rfc/rfc6749#section-4.4
 * @module
 */
import { setup } from "xstate"
import {
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
 * The client credentials flow as a statechart. Its `renew` actor requests a token with the
 * `client_credentials` grant.
 *
 * @see https://www.rfc-editor.org/rfc/rfc6749#section-4.4.2
 */
export const clientCredentialsMachine = setup({
  types: {
    context: {} as RenewalContext,
    events: {} as RenewalEvent,
    input: {} as RenewalInput,
  },
  actors: renewalActors,
  // Its own grant always renews.
  guards: renewalGuards(() => true),
  actions: renewalActions<RenewalContext, RenewalEvent>(),
}).createMachine({
  id: "clientCredentials",
  initial: "idle",
  context: ({ input }) => renewalContext(input),
  states: {
    /** No token yet: the first call requests one. */
    idle: {
      on: {
        ACCESS_TOKEN_REQUESTED: { target: "renewing" },
        REVOKE_REQUESTED: { target: "revoking" },
      },
    },
    ...renewalStates,
    // Its own grant always renews, so `valid` has no way to a dead end.
    valid: {
      ...renewalStates.valid,
      on: { ...renewalStates.valid.on, ACCESS_TOKEN_REQUESTED: { guard: "shouldRenew", target: "renewing" } },
    },
  },
})
