/**
 * The token lifecycle every renewing flow shares: valid → renewing → valid, a failed state that
 * the next call retries, and `reauthenticationRequired` as the end. The machines only name their
 * side effects (`renew`, `persist`, `exchangeCode`, `revoke`) and take `now` from events, so they
 * never read the clock, randomness or the network themselves.
 *
 * @module
 */
import type * as Redacted from "effect/Redacted"
import { assign, fromPromise, setup } from "xstate"
import type { CallbackExpectation } from "../AuthorizationResponse.js"
import { parseCallback } from "../AuthorizationResponse.js"
import type { Credentials } from "../Credentials.js"
import { ReauthenticationRequired, TokenExpired } from "../Errors.js"

/** What a renewal or exchange yields: the credentials and when they were obtained (Clock time). */
export interface Obtained {
  readonly credentials: Credentials
  readonly obtainedAt: number
}

/**
 * A device authorization response, decoded (RFC 8628 §3.2): what the user is shown, and how the
 * device polls. `expiresAt` and `intervalMs` are Clock milliseconds.
 */
export interface DeviceCode {
  readonly deviceCode: Redacted.Redacted<string>
  readonly userCode: string
  readonly verificationUri: string
  readonly verificationUriComplete?: string | undefined
  readonly expiresAt: number
  readonly intervalMs: number
}

/** How a flow gets its next token by itself, if it can. */
export type RenewsWith = "client_credentials" | "refresh_token" | "none"

/** What every flow machine holds. */
export interface LifecycleContext {
  readonly credentials: Credentials | undefined
  /** When renewal is due: `expiresAt` less the margin, capped at half the token's lifetime. */
  readonly renewAt: number | undefined
  /** New credentials that could not be saved yet: they are saved before anything else happens. */
  readonly unpersisted: Obtained | undefined
  /** The last failure, answered to every caller that waited on it. */
  readonly error: unknown
  /** Why revocation at the server failed (local credentials are forgotten regardless). */
  readonly revokeFailure: unknown
  readonly marginMs: number
  readonly renewsWith: RenewsWith
  /** What an authorization callback is checked against (authorization code flows). */
  readonly expectation: CallbackExpectation | undefined
  /** The checked authorization code, held only while it is exchanged. */
  readonly code: Redacted.Redacted<string> | undefined
  /** The device code and its user code, held only while a device login waits for the user. */
  readonly device: DeviceCode | undefined
}

/** Events the flow machines accept. */
export type LifecycleEvent =
  | { readonly type: "ACCESS_TOKEN_REQUESTED"; readonly now: number }
  | { readonly type: "UNAUTHORIZED"; readonly accessToken: string }
  | { readonly type: "CALLBACK_RECEIVED"; readonly callback: string | URL | URLSearchParams }
  | { readonly type: "CREDENTIALS_REPLACED"; readonly obtained: Obtained }
  | { readonly type: "REVOKE_REQUESTED" }

/** What a flow machine starts from. */
export interface LifecycleInput {
  readonly renewsWith: RenewsWith
  readonly marginMs?: number | undefined
  readonly obtained?: Obtained | undefined
  readonly expectation?: CallbackExpectation | undefined
}

/** Default renewal margin: renew a minute before expiry. */
export const defaultMarginMs = 60_000

/**
 * When to renew: `marginMs` before expiry, but never more than half the token's lifetime, so a
 * token that lives 30 s is used for 15 s instead of being renewed on every call.
 */
export const renewAtOf = (obtained: Obtained, marginMs: number): number | undefined => {
  const { expiresAt } = obtained.credentials
  if (expiresAt === undefined) return undefined
  const lifetime = Math.max(0, expiresAt - obtained.obtainedAt)
  return expiresAt - Math.min(marginMs, lifetime / 2)
}

/** True when a call at `now` must not be answered from the held credentials. */
export const needsRenewal = (
  context: Pick<LifecycleContext, "credentials" | "renewAt">,
  now: number,
): boolean => context.credentials === undefined || (context.renewAt !== undefined && now >= context.renewAt)

/** True when the held access token is past its expiry, not just inside the margin. */
export const isExpired = (credentials: Credentials | undefined, now: number): boolean =>
  credentials === undefined || (credentials.expiresAt !== undefined && now >= credentials.expiresAt)

/** True when the flow can get a new token by itself. */
export const canRenew = (context: Pick<LifecycleContext, "renewsWith" | "credentials">): boolean =>
  context.renewsWith === "client_credentials" ||
  (context.renewsWith === "refresh_token" && context.credentials?.refreshToken !== undefined)

// Unsaved credentials ride on their error in a WeakMap: no property, hidden or not, holds them,
// so neither logs, `JSON.stringify` nor `util.inspect(error, { showHidden: true })` reach them.
const unsaved = new WeakMap<object, Obtained>()

/** Attaches unsaved credentials to an error where no inspection reaches them. */
export const withUnsaved = <E extends object>(error: E, obtained: Obtained): E => {
  unsaved.set(error, obtained)
  return error
}

/** The credentials an error carries because they could not be saved, if any. */
export const unsavedCredentials = (error: unknown): Obtained | undefined =>
  typeof error === "object" && error !== null ? unsaved.get(error) : undefined

const unsavedOf = unsavedCredentials

const tagOf = (error: unknown): unknown =>
  typeof error === "object" && error !== null && "_tag" in error ? error._tag : undefined

// Actors the machines name; adapters and facades provide them with `machine.provide`.
const unimplemented = <Output, Input>(name: string) =>
  fromPromise<Output, Input>(() =>
    Promise.reject(new Error(`grantflow: the ${name} actor was not provided.`)),
  )

const adopted = (obtained: Obtained, marginMs: number) => ({
  credentials: obtained.credentials,
  renewAt: renewAtOf(obtained, marginMs),
  unpersisted: undefined,
  error: undefined,
})

/** The shared `setup` of every flow machine: one vocabulary of events, guards and actors. */
export const lifecycle = setup({
  types: {
    context: {} as LifecycleContext,
    events: {} as LifecycleEvent,
    input: {} as LifecycleInput,
  },
  actors: {
    renew: unimplemented<Obtained, { readonly credentials: Credentials | undefined }>("renew"),
    // Outputs the credentials now held: the given ones, or later ones of the same grant.
    persist: unimplemented<Obtained, Obtained>("persist"),
    exchangeCode: unimplemented<Obtained, { readonly code: Redacted.Redacted<string> }>("exchangeCode"),
    revoke: unimplemented<void, { readonly credentials: Credentials | undefined }>("revoke"),
    requestDeviceCode: unimplemented<DeviceCode, void>("requestDeviceCode"),
    pollDeviceCode: unimplemented<Obtained, { readonly device: DeviceCode }>("pollDeviceCode"),
  },
  // RFC 8628 §3.5: poll no sooner than the server's interval (5 s when it names none).
  delays: {
    devicePollInterval: ({ context }) => context.device?.intervalMs ?? 5000,
  },
  guards: {
    shouldRenew: ({ context, event }) =>
      event.type === "ACCESS_TOKEN_REQUESTED" && needsRenewal(context, event.now) && canRenew(context),
    expiredForGood: ({ context, event }) =>
      event.type === "ACCESS_TOKEN_REQUESTED" &&
      isExpired(context.credentials, event.now) &&
      !canRenew(context),
    rejectedTokenIsCurrent: ({ context, event }) =>
      event.type === "UNAUTHORIZED" &&
      canRenew(context) &&
      context.credentials?.accessToken === event.accessToken,
    hasUnpersisted: ({ context }) => context.unpersisted !== undefined,
    requiresReauthentication: (_, params: { readonly error: unknown }) =>
      tagOf(params.error) === "ReauthenticationRequired",
    lostUnsaved: (_, params: { readonly error: unknown }) => unsavedOf(params.error) !== undefined,
    errorIs: (_, params: { readonly error: unknown; readonly tag: string }) =>
      tagOf(params.error) === params.tag,
    oauthErrorIs: (_, params: { readonly error: unknown; readonly code: string }) =>
      tagOf(params.error) === "OAuthError" &&
      (params.error as { readonly error?: unknown }).error === params.code,
    replacementHasToken: ({ event }) =>
      event.type === "CREDENTIALS_REPLACED" && event.obtained.credentials.accessToken !== "",
    callbackAccepted: ({ context, event }) =>
      event.type === "CALLBACK_RECEIVED" &&
      context.expectation !== undefined &&
      parseCallback(event.callback, context.expectation)._tag === "Right",
  },
  actions: {
    adopt: assign(({ context }, params: { readonly obtained: Obtained }) =>
      adopted(params.obtained, context.marginMs),
    ),
    recordError: assign((_, params: { readonly error: unknown }) => ({ error: params.error })),
    keepUnsaved: assign((_, params: { readonly error: unknown }) => ({
      unpersisted: unsavedOf(params.error),
      error: params.error,
    })),
    acceptCallback: assign(({ context, event }) => {
      if (event.type !== "CALLBACK_RECEIVED" || context.expectation === undefined) return {}
      const result = parseCallback(event.callback, context.expectation)
      return result._tag === "Right" ? { code: result.right.code } : {}
    }),
    refuseCallback: assign(({ context, event }) => {
      if (event.type !== "CALLBACK_RECEIVED" || context.expectation === undefined) return {}
      const result = parseCallback(event.callback, context.expectation)
      return result._tag === "Left" ? { error: result.left } : {}
    }),
    dropCode: assign({ code: undefined }),
    adoptDeviceCode: assign((_, params: { readonly device: DeviceCode }) => ({ device: params.device })),
    // RFC 8628 §3.5: each slow_down adds 5 s to the interval, for this and every later poll.
    slowDown: assign(({ context }) =>
      context.device === undefined
        ? {}
        : { device: { ...context.device, intervalMs: context.device.intervalMs + 5000 } },
    ),
    dropDeviceCode: assign({ device: undefined }),
    forget: assign((_, params: { readonly revokeFailure: unknown }) => ({
      credentials: undefined,
      renewAt: undefined,
      unpersisted: undefined,
      code: undefined,
      error: new ReauthenticationRequired({ reason: "Revoked" }),
      revokeFailure: params.revokeFailure,
    })),
    endForGood: assign({
      error: () => new ReauthenticationRequired({ reason: "NoRefreshToken" }),
      credentials: undefined,
      renewAt: undefined,
    }),
    expire: assign(({ context }) => ({
      error: new TokenExpired({ expiredAt: context.credentials?.expiresAt ?? 0 }),
    })),
  },
})

/** The context a flow machine starts with. */
export const initialContext = (input: LifecycleInput): LifecycleContext => {
  const marginMs = input.marginMs ?? defaultMarginMs
  return {
    credentials: input.obtained?.credentials,
    renewAt: input.obtained === undefined ? undefined : renewAtOf(input.obtained, marginMs),
    unpersisted: undefined,
    error: undefined,
    revokeFailure: undefined,
    marginMs,
    renewsWith: input.renewsWith,
    expectation: input.expectation,
    code: undefined,
    device: undefined,
  }
}

/** Holding a token that callers may use; renews when asked past `renewAt`. */
export const valid = lifecycle.createStateConfig({
  tags: ["authorized"],
  on: {
    ACCESS_TOKEN_REQUESTED: [
      { guard: "shouldRenew", target: "renewing" },
      { guard: "expiredForGood", target: "reauthenticationRequired", actions: "endForGood" },
    ],
    UNAUTHORIZED: { guard: "rejectedTokenIsCurrent", target: "renewing" },
    REVOKE_REQUESTED: { target: "revoking" },
  },
})

/** One renewal in flight; every caller meanwhile waits for its outcome. */
export const renewing = lifecycle.createStateConfig({
  tags: ["busy"],
  invoke: {
    id: "renew",
    src: "renew",
    input: ({ context }) => ({ credentials: context.credentials }),
    onDone: {
      target: "valid",
      actions: { type: "adopt", params: ({ event }) => ({ obtained: event.output }) },
    },
    onError: [
      // Unsaved credentials are kept first, whatever else the error says.
      {
        guard: { type: "lostUnsaved", params: ({ event }) => ({ error: event.error }) },
        target: "failed",
        actions: { type: "keepUnsaved", params: ({ event }) => ({ error: event.error }) },
      },
      {
        guard: { type: "requiresReauthentication", params: ({ event }) => ({ error: event.error }) },
        target: "reauthenticationRequired",
        actions: { type: "recordError", params: ({ event }) => ({ error: event.error }) },
      },
      { target: "failed", actions: { type: "recordError", params: ({ event }) => ({ error: event.error }) } },
    ],
  },
})

/** Saving credentials a renewal obtained but could not save; no new token request is made. */
export const persisting = lifecycle.createStateConfig({
  tags: ["busy"],
  invoke: {
    id: "persist",
    src: "persist",
    input: ({ context }) => context.unpersisted!,
    onDone: {
      target: "valid",
      actions: {
        type: "adopt",
        params: ({ context, event }) => ({ obtained: event.output ?? context.unpersisted! }),
      },
    },
    onError: {
      target: "failed",
      actions: { type: "recordError", params: ({ event }) => ({ error: event.error }) },
    },
  },
})

/** The last renewal failed; the next call tries again (saving first, if that is what failed). */
export const failed = lifecycle.createStateConfig({
  on: {
    ACCESS_TOKEN_REQUESTED: [{ guard: "hasUnpersisted", target: "persisting" }, { target: "renewing" }],
    REVOKE_REQUESTED: { target: "revoking" },
  },
})

/** Revoking at the server where possible; local credentials are forgotten whatever it answers. */
export const revoking = lifecycle.createStateConfig({
  tags: ["busy"],
  invoke: {
    id: "revoke",
    src: "revoke",
    // The newest credentials are revoked, including ones not saved yet.
    input: ({ context }) => ({ credentials: context.unpersisted?.credentials ?? context.credentials }),
    onDone: {
      target: "reauthenticationRequired",
      actions: { type: "forget", params: { revokeFailure: undefined } },
    },
    onError: {
      target: "reauthenticationRequired",
      actions: { type: "forget", params: ({ event }) => ({ revokeFailure: event.error }) },
    },
  },
})

/** The end: the user must log in again. Nothing leaves this state. */
export const reauthenticationRequired = lifecycle.createStateConfig({ type: "final" })

/** The states of every flow that renews, to spread into a machine's `states`. */
export const renewalStates = { valid, renewing, persisting, failed, revoking, reauthenticationRequired }
