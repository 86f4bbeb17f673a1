/**
 * The device authorization grant, for devices and terminals that cannot take a redirect: ask for
 * a device code, let the user approve it elsewhere, poll the token endpoint no faster than the
 * server allows, then renew with the refresh token like every other user flow.
 *
 * @see https://www.rfc-editor.org/rfc/rfc8628
 * @module
 */
import type * as Redacted from "effect/Redacted"
import { assign, setup } from "xstate"
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
  tagOf,
  unimplemented,
} from "./lifecycle.js"

/**
 * A device authorization response, decoded (RFC 8628 §3.2): what the user is shown, and how the
 * device polls. `expiresAt` and `intervalMs` are Clock milliseconds.
 *
 * @see https://www.rfc-editor.org/rfc/rfc8628#section-3.2
 */
export interface DeviceCode {
  readonly deviceCode: Redacted.Redacted<string>
  readonly userCode: string
  readonly verificationUri: string
  readonly verificationUriComplete?: string | undefined
  readonly expiresAt: number
  readonly intervalMs: number
}

/** What the device flow holds. */
export interface DeviceAuthorizationContext extends RenewalContext {
  /** The device code and its user code, held only while the login waits for the user. */
  readonly device: DeviceCode | undefined
}

const pollAgainOn = ["TransportError", "TimeoutError", "RateLimited"]

/**
 * The device authorization grant as a statechart. `awaitingUser` holds the user code to show;
 * `authorization_pending` and transient failures poll again after the interval, `slow_down` adds
 * 5 s to it; `access_denied` ends in `denied`, an expired device code in `expired`.
 *
 * @see https://www.rfc-editor.org/rfc/rfc8628#section-3.5
 */
export const deviceAuthorizationMachine = setup({
  types: {
    context: {} as DeviceAuthorizationContext,
    events: {} as RenewalEvent,
    input: {} as RenewalInput,
  },
  actors: {
    ...renewalActors,
    requestDeviceCode: unimplemented<DeviceCode, void>("requestDeviceCode"),
    pollDeviceCode: unimplemented<Outcome, { readonly device: DeviceCode }>("pollDeviceCode"),
  },
  // RFC 8628 §3.5: poll no sooner than the server's interval (the runtime's decoding of the
  // response makes it 5 s when the server names none). Waited in `awaitingUser`, with a device code.
  delays: {
    devicePollInterval: ({ context }) => context.device!.intervalMs,
  },
  guards: {
    ...renewalGuards(holdsRefreshToken),
    errorIs: (_, params: { readonly error: unknown; readonly tag: string }) =>
      tagOf(params.error) === params.tag,
    oauthErrorIs: (_, params: { readonly error: unknown; readonly code: string }) =>
      tagOf(params.error) === "OAuthError" &&
      (params.error as { readonly error?: unknown }).error === params.code,
    // A network blip or a busy server must not end a login the user may be approving: poll
    // again; the device code's expiry bounds the attempts.
    isTransient: (_, params: { readonly error: unknown }) =>
      pollAgainOn.includes(tagOf(params.error) as string),
  },
  actions: {
    ...renewalActions<DeviceAuthorizationContext, RenewalEvent>(),
    adoptDeviceCode: assign((_, params: { readonly device: DeviceCode }) => ({ device: params.device })),
    // RFC 8628 §3.5: each slow_down adds 5 s to the interval, for this and every later poll.
    // Taken while polling, with a device code.
    slowDown: assign(({ context }) => ({
      device: { ...context.device!, intervalMs: context.device!.intervalMs + 5000 },
    })),
    dropDeviceCode: assign({ device: undefined }),
  },
}).createMachine({
  id: "deviceAuthorization",
  initial: "requestingCode",
  context: ({ input }) => ({ ...renewalContext(input), device: undefined }),
  states: {
    requestingCode: {
      tags: ["busy"],
      invoke: {
        id: "requestDeviceCode",
        src: "requestDeviceCode",
        onDone: {
          target: "awaitingUser",
          actions: { type: "adoptDeviceCode", params: ({ event }) => ({ device: event.output }) },
        },
        onError: { target: "rejected", actions: { type: "recordError", params: errorOf } },
      },
    },
    /** The user code is shown; the next poll waits for the interval. */
    awaitingUser: {
      tags: ["busy"],
      after: { devicePollInterval: { target: "polling" } },
    },
    polling: {
      tags: ["busy"],
      invoke: {
        id: "pollDeviceCode",
        src: "pollDeviceCode",
        input: ({ context }) => ({ device: context.device! }),
        onDone: onObtained("dropDeviceCode"),
        onError: [
          {
            guard: {
              type: "oauthErrorIs",
              params: ({ event }) => ({ error: event.error, code: "slow_down" }),
            },
            target: "awaitingUser",
            actions: "slowDown",
          },
          {
            guard: {
              type: "oauthErrorIs",
              params: ({ event }) => ({ error: event.error, code: "authorization_pending" }),
            },
            target: "awaitingUser",
          },
          {
            guard: {
              type: "errorIs",
              params: ({ event }) => ({ error: event.error, tag: "AuthorizationDenied" }),
            },
            target: "denied",
            actions: ["dropDeviceCode", { type: "recordError", params: errorOf }],
          },
          {
            guard: {
              type: "errorIs",
              params: ({ event }) => ({ error: event.error, tag: "DeviceCodeExpired" }),
            },
            target: "expired",
            actions: ["dropDeviceCode", { type: "recordError", params: errorOf }],
          },
          { guard: { type: "isTransient", params: errorOf }, target: "awaitingUser" },
          { target: "rejected", actions: ["dropDeviceCode", { type: "recordError", params: errorOf }] },
        ],
      },
    },
    /** The user refused (`access_denied`). */
    denied: { type: "final" },
    /** The device code expired before the user approved it (`expired_token`). */
    expired: { type: "final" },
    /** The server refused the device authorization or the poll: this login is over. */
    rejected: { type: "final" },
    ...renewalStates,
  },
})
