/**
 * The device authorization grant, for devices and terminals that cannot take a redirect: ask for
 * a device code, let the user approve it elsewhere, poll the token endpoint no faster than the
 * server allows, then renew with the refresh token like every other user flow.
 *
 * @see https://www.rfc-editor.org/rfc/rfc8628
 * @module
 */
import { initialContext, lifecycle, renewalStates } from "./lifecycle.js"

const failure = ({ event }: { readonly event: { readonly error: unknown } }) => ({ error: event.error })

/**
 * The device authorization grant as a statechart. `awaitingUser` holds the user code to show;
 * `authorization_pending` and transient failures poll again after the interval, `slow_down` adds
 * 5 s to it; `access_denied` ends in `denied`, an expired device code in `expired`.
 *
 * @see https://www.rfc-editor.org/rfc/rfc8628#section-3.5
 */
export const deviceAuthorizationMachine = lifecycle.createMachine({
  id: "deviceAuthorization",
  initial: "requestingCode",
  context: ({ input }) => initialContext({ ...input, renewsWith: "refresh_token" }),
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
        onError: { target: "rejected", actions: { type: "recordError", params: failure } },
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
        onDone: {
          target: "valid",
          actions: ["dropDeviceCode", { type: "adopt", params: ({ event }) => ({ obtained: event.output }) }],
        },
        onError: [
          {
            guard: { type: "lostUnsaved", params: failure },
            target: "failed",
            actions: ["dropDeviceCode", { type: "keepUnsaved", params: failure }],
          },
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
            actions: ["dropDeviceCode", { type: "recordError", params: failure }],
          },
          {
            guard: {
              type: "errorIs",
              params: ({ event }) => ({ error: event.error, tag: "DeviceCodeExpired" }),
            },
            target: "expired",
            actions: ["dropDeviceCode", { type: "recordError", params: failure }],
          },
          // A network blip or a busy server must not end a login the user may be approving:
          // poll again; the device code's expiry bounds the attempts.
          ...["TransportError", "TimeoutError", "RateLimited"].map((tag) => ({
            guard: {
              type: "errorIs" as const,
              params: ({ event }: { readonly event: { readonly error: unknown } }) => ({
                error: event.error,
                tag,
              }),
            },
            target: "awaitingUser" as const,
          })),
          { target: "rejected", actions: ["dropDeviceCode", { type: "recordError", params: failure }] },
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
