/**
 * Static token: a caller that already holds an access token. grantflow never renews it; once it
 * expires, calls fail with `TokenExpired` until the caller replaces it.
 *
 * @see https://www.rfc-editor.org/rfc/rfc6750#section-2.1
 * @module
 */
import { assign, setup } from "xstate"
import { ReauthenticationRequired, TokenExpired } from "../Errors.js"
import { type AccessTokenRequested, type FlowContext, type Held, isExpired } from "./lifecycle.js"

/** The caller hands over a new token (`renewAt` is its expiry: a static token has no margin). */
export interface CredentialsReplaced {
  readonly type: "CREDENTIALS_REPLACED"
  readonly held: Held
}

/** The events the static token flow accepts. */
export type StaticTokenEvent =
  | AccessTokenRequested
  | CredentialsReplaced
  | { readonly type: "REVOKE_REQUESTED" }

/** What the static token flow starts from: the token, if the caller has one yet. */
export interface StaticTokenInput {
  readonly obtained?: Held | undefined
}

const replace = {
  guard: "replacementHasToken",
  target: "valid",
  actions: {
    type: "adopt",
    params: ({ event }: { readonly event: StaticTokenEvent }) => ({
      held: (event as CredentialsReplaced).held,
    }),
  },
} as const

const forget = { target: "reauthenticationRequired", actions: "forget" } as const

/**
 * The static token flow as a statechart: `valid` until `expiresAt`, then `expired` until the
 * caller replaces the token. Revoking only forgets it: there is no provider to tell.
 *
 * @see https://www.rfc-editor.org/rfc/rfc6750#section-2.1
 */
export const staticTokenMachine = setup({
  types: {
    context: {} as FlowContext,
    events: {} as StaticTokenEvent,
    input: {} as StaticTokenInput,
  },
  guards: {
    holdsNothing: ({ context }) => context.credentials === undefined,
    // On ACCESS_TOKEN_REQUESTED in `valid`, which holds a token.
    hasExpired: ({ context, event }) => isExpired(context.credentials!, (event as AccessTokenRequested).now),
    // On CREDENTIALS_REPLACED.
    replacementHasToken: ({ event }) => (event as CredentialsReplaced).held.credentials.accessToken !== "",
  },
  actions: {
    adopt: assign((_, params: { readonly held: Held }) => ({
      credentials: params.held.credentials,
      renewAt: params.held.renewAt,
      error: undefined,
    })),
    expire: assign(({ context }) => ({
      error: new TokenExpired({ expiredAt: context.credentials?.expiresAt ?? 0 }),
    })),
    forget: assign({
      credentials: undefined,
      renewAt: undefined,
      error: () => new ReauthenticationRequired({ reason: "Revoked" }),
    }),
  },
}).createMachine({
  id: "staticToken",
  initial: "valid",
  context: ({ input }) => ({
    credentials: input.obtained?.credentials,
    renewAt: input.obtained?.renewAt,
    error: undefined,
    revokeFailure: undefined,
  }),
  states: {
    valid: {
      tags: ["authorized"],
      // Started without a token (machine embedders can), it waits for one like an expired token.
      always: { guard: "holdsNothing", target: "expired", actions: "expire" },
      on: {
        ACCESS_TOKEN_REQUESTED: { guard: "hasExpired", target: "expired", actions: "expire" },
        CREDENTIALS_REPLACED: replace,
        REVOKE_REQUESTED: forget,
      },
    },
    // Handlers sit on each state, not the root: a done machine must ignore every event.
    expired: { on: { CREDENTIALS_REPLACED: replace, REVOKE_REQUESTED: forget } },
    reauthenticationRequired: { type: "final" },
  },
})
