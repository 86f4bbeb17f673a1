/**
 * Authorization code: server apps acting for a user (with a client secret), and public clients
 * (SPAs, CLIs, mobile) with PKCE. The machine waits for the callback, checks it before anything
 * reaches the token endpoint, exchanges the code once, then renews with the refresh token.
 *
 * @see https://www.rfc-editor.org/rfc/rfc6749#section-4.1
 * @module
 */
import type * as Redacted from "effect/Redacted"
import { assign, setup } from "xstate"
import { type CallbackExpectation, parseCallback } from "../AuthorizationResponse.js"
import {
  errorOf,
  holdsRefreshToken,
  type Outcome,
  onObtained,
  type RenewalContext,
  type RenewalEvent,
  type RenewalInput,
  renewalActions,
  renewalActors,
  renewalContext,
  renewalGuards,
  renewalStates,
  unimplemented,
} from "./lifecycle.js"

/** The authorization callback, as the redirect URI received it. */
export interface CallbackReceived {
  readonly type: "CALLBACK_RECEIVED"
  readonly callback: string | URL | URLSearchParams
}

/**
 * What the authorization code flow holds.
 *
 * @see https://www.rfc-editor.org/rfc/rfc6749#section-4.1
 */
export interface AuthorizationCodeContext extends RenewalContext {
  /** What the callback is checked against: the pending login and the provider. */
  readonly expectation: CallbackExpectation
  /** The checked authorization code, held only while it is exchanged. */
  readonly code: Redacted.Redacted<string> | undefined
}

/** The events the authorization code flow accepts. */
export type AuthorizationCodeEvent = RenewalEvent | CallbackReceived

/** What the authorization code flow starts from: the login it waits to complete. */
export interface AuthorizationCodeInput extends RenewalInput {
  readonly expectation: CallbackExpectation
}

/**
 * The authorization code flow as a statechart. A callback whose `iss` or `state` does not match
 * the pending login ends in `rejected` without invoking `exchangeCode`.
 *
 * @see https://www.rfc-editor.org/rfc/rfc6749#section-4.1.2
 * @see https://www.rfc-editor.org/rfc/rfc9700#section-4.7
 */
export const authorizationCodeMachine = setup({
  types: {
    context: {} as AuthorizationCodeContext,
    events: {} as AuthorizationCodeEvent,
    input: {} as AuthorizationCodeInput,
  },
  actors: {
    ...renewalActors,
    exchangeCode: unimplemented<Outcome, { readonly code: Redacted.Redacted<string> }>("exchangeCode"),
  },
  guards: {
    ...renewalGuards(holdsRefreshToken),
    holdsCode: ({ context }) => context.code !== undefined,
  },
  actions: {
    ...renewalActions<AuthorizationCodeContext, AuthorizationCodeEvent>(),
    // The callback is parsed and checked once: the code, or why it was refused.
    // On CALLBACK_RECEIVED only.
    checkCallback: assign(({ context, event }) => {
      // Embedders' JavaScript may start the machine without an expectation: nothing is accepted.
      if (context.expectation === undefined) return {}
      const result = parseCallback((event as CallbackReceived).callback, context.expectation)
      return result._tag === "Right" ? { code: result.right.code } : { error: result.left }
    }),
    dropCode: assign({ code: undefined }),
  },
}).createMachine({
  id: "authorizationCode",
  initial: "awaitingCallback",
  context: ({ input }) => ({ ...renewalContext(input), expectation: input.expectation, code: undefined }),
  states: {
    awaitingCallback: {
      on: { CALLBACK_RECEIVED: { target: "checkingCallback", actions: "checkCallback" } },
    },
    /** Passed through at once: to the exchange with a code, to `rejected` without one. */
    checkingCallback: {
      always: [{ guard: "holdsCode", target: "exchanging" }, { target: "rejected" }],
    },
    exchanging: {
      tags: ["busy"],
      invoke: {
        id: "exchangeCode",
        src: "exchangeCode",
        input: ({ context }) => ({ code: context.code! }),
        onDone: onObtained("dropCode"),
        onError: { target: "rejected", actions: ["dropCode", { type: "recordError", params: errorOf }] },
      },
    },
    /** The callback was refused or the code could not be exchanged: this login is over. */
    rejected: { type: "final" },
    ...renewalStates,
  },
})
