/**
 * Authorization code: server apps acting for a user (with a client secret), and public clients
 * (SPAs, CLIs, mobile) with PKCE. The machine waits for the callback, checks it before anything
 * reaches the token endpoint, exchanges the code once, then renews with the refresh token.
 *
 * @see https://www.rfc-editor.org/rfc/rfc6749#section-4.1
 * @module
 */
import { initialContext, lifecycle, renewalStates } from "./lifecycle.js"

/**
 * The authorization code flow as a statechart. A callback whose `iss` or `state` does not match
 * the pending login ends in `rejected` without invoking `exchangeCode`.
 *
 * @see https://www.rfc-editor.org/rfc/rfc6749#section-4.1.2
 * @see https://www.rfc-editor.org/rfc/rfc9700#section-4.7
 */
export const authorizationCodeMachine = lifecycle.createMachine({
  id: "authorizationCode",
  initial: "awaitingCallback",
  context: ({ input }) => initialContext({ ...input, renewsWith: "refresh_token" }),
  states: {
    awaitingCallback: {
      on: {
        CALLBACK_RECEIVED: [
          { guard: "callbackAccepted", target: "exchanging", actions: "acceptCallback" },
          { target: "rejected", actions: "refuseCallback" },
        ],
      },
    },
    exchanging: {
      tags: ["busy"],
      invoke: {
        id: "exchangeCode",
        src: "exchangeCode",
        input: ({ context }) => ({ code: context.code! }),
        onDone: {
          target: "valid",
          actions: ["dropCode", { type: "adopt", params: ({ event }) => ({ obtained: event.output }) }],
        },
        onError: [
          {
            guard: { type: "lostUnsaved", params: ({ event }) => ({ error: event.error }) },
            target: "failed",
            actions: ["dropCode", { type: "keepUnsaved", params: ({ event }) => ({ error: event.error }) }],
          },
          {
            target: "rejected",
            actions: ["dropCode", { type: "recordError", params: ({ event }) => ({ error: event.error }) }],
          },
        ],
      },
    },
    /** The callback was refused or the code could not be exchanged: this login is over. */
    rejected: { type: "final" },
    ...renewalStates,
  },
})
