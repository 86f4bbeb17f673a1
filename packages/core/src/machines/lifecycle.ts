/**
 * The token lifecycle every renewing flow shares: valid → renewing → valid, a failed state that
 * the next call retries, and `reauthenticationRequired` as the end. Each flow builds its own
 * `setup` from these parts and the actors and context it adds; the machines only name their side
 * effects (`renew`, `persist`, `revoke`, ...) and take `now` from events.
 *
 * Machines import xstate, types, the error classes and (authorization code) the callback check,
 * nothing else: no clock, randomness, I/O or arithmetic. When credentials fall due is computed
 * outside (`internal/renewal.ts`) and arrives with them; a save that failed arrives as an
 * `Unsaved` outcome, not as a hidden property of an error. The error classes and the callback check
 * stay: without them snapshots would carry plain "verdicts" instead of the errors callers get, and
 * the check would become an actor every embedder must provide, which is worse than two pure imports.
 *
 * @module
 */
import { assign, type EventObject, fromPromise, type ParameterizedObject } from "xstate"
import type { Credentials } from "../Credentials.js"
import { ReauthenticationRequired } from "../Errors.js"

/**
 * What a token request yields: the credentials and when they were obtained (Clock time).
 *
 * @see https://www.rfc-editor.org/rfc/rfc6749#section-5.1
 */
export interface Obtained {
  readonly credentials: Credentials
  readonly obtainedAt: number
}

/**
 * Credentials as a flow holds them: obtained, and due for renewal at `renewAt` (never if absent).
 *
 * @see https://www.rfc-editor.org/rfc/rfc6749#section-5.1
 */
export interface Held extends Obtained {
  readonly renewAt: number | undefined
}

/**
 * How a token request ended when it got credentials: saved (store and hook), or not saved, in
 * which case the machine keeps them and saves them before anything else.
 *
 * @see https://www.rfc-editor.org/rfc/rfc6749#section-5.1
 */
export type Outcome =
  | { readonly _tag: "Saved"; readonly held: Held }
  | { readonly _tag: "Unsaved"; readonly held: Held; readonly error: unknown }

/**
 * What every flow machine holds, and all a token source reads of it.
 *
 * @see https://www.rfc-editor.org/rfc/rfc6750#section-2.1
 */
export interface FlowContext {
  readonly credentials: Credentials | undefined
  /** When renewal is due; undefined for a token that never expires. */
  readonly renewAt: number | undefined
  /** The last failure, answered to every caller that waited on it. */
  readonly error: unknown
  /** Why revocation at the server failed (local credentials are forgotten regardless). */
  readonly revokeFailure: unknown
}

/**
 * What a renewing flow holds.
 *
 * @see https://www.rfc-editor.org/rfc/rfc6749#section-6
 */
export interface RenewalContext extends FlowContext {
  /** New credentials that could not be saved yet: they are saved before anything else happens. */
  readonly unpersisted: Held | undefined
}

/** A caller wants a token at `now` (Clock milliseconds). */
export interface AccessTokenRequested {
  readonly type: "ACCESS_TOKEN_REQUESTED"
  readonly now: number
}

/** A resource server answered 401 to `accessToken`. */
export interface Unauthorized {
  readonly type: "UNAUTHORIZED"
  readonly accessToken: string
}

/** The events every renewing flow accepts. */
export type RenewalEvent = AccessTokenRequested | Unauthorized | { readonly type: "REVOKE_REQUESTED" }

/** What a renewing flow starts from: credentials already held, if any. */
export interface RenewalInput {
  readonly obtained?: Held | undefined
}

/** The context a renewing flow starts with. */
export const renewalContext = (input: RenewalInput): RenewalContext => ({
  credentials: input.obtained?.credentials,
  renewAt: input.obtained?.renewAt,
  unpersisted: undefined,
  error: undefined,
  revokeFailure: undefined,
})

/** An actor a machine names and its facade provides with `machine.provide({ actors })`. */
export const unimplemented = <Output, Input>(name: string) =>
  fromPromise<Output, Input>(() =>
    Promise.reject(new Error(`grantflow: the ${name} actor was not provided.`)),
  )

/** The actors every renewing flow names. */
export const renewalActors = {
  renew: unimplemented<Outcome, { readonly credentials: Credentials | undefined }>("renew"),
  // Outputs the credentials now held: the given ones, or later ones of the same grant.
  persist: unimplemented<Held, Held>("persist"),
  revoke: unimplemented<void, { readonly credentials: Credentials | undefined }>("revoke"),
}

/** The `_tag` of an error, if it has one. */
export const tagOf = (error: unknown): unknown =>
  typeof error === "object" && error !== null && "_tag" in error ? error._tag : undefined

interface Args {
  readonly context: RenewalContext
  readonly event: EventObject
}

// The guards below run only where the states use them: in `valid`, which always holds credentials
// (the model test checks it), on the event their name says. They read what that implies.

/** True when credentials due at `renewAt` must not be used at `now` (never, without a due time). */
const isDue = (renewAt: number | undefined, now: number): boolean =>
  now >= (renewAt ?? Number.POSITIVE_INFINITY)

/** True when the access token is past its expiry, not just inside the margin. */
export const isExpired = (credentials: Credentials, now: number): boolean =>
  now >= (credentials.expiresAt ?? Number.POSITIVE_INFINITY)

/**
 * The guards of the shared states, given how the flow renews: `canRenew` says whether it can get
 * a new token by itself with the credentials it holds.
 */
export const renewalGuards = (canRenew: (credentials: Credentials) => boolean) => ({
  /** On ACCESS_TOKEN_REQUESTED in `valid`. */
  shouldRenew: ({ context, event }: Args) =>
    isDue(context.renewAt, (event as AccessTokenRequested).now) && canRenew(context.credentials!),
  /** On ACCESS_TOKEN_REQUESTED in `valid`. */
  expiredForGood: ({ context, event }: Args) =>
    isExpired(context.credentials!, (event as AccessTokenRequested).now) && !canRenew(context.credentials!),
  /** On UNAUTHORIZED in `valid`: a 401 for an older token says nothing about the one held. */
  rejectedTokenIsCurrent: ({ context, event }: Args) =>
    canRenew(context.credentials!) &&
    context.credentials!.accessToken === (event as Unauthorized).accessToken,
  hasUnpersisted: ({ context }: Args) => context.unpersisted !== undefined,
  isUnsaved: (_: unknown, params: { readonly outcome: Outcome }) => params.outcome._tag === "Unsaved",
  requiresReauthentication: (_: unknown, params: { readonly error: unknown }) =>
    tagOf(params.error) === "ReauthenticationRequired",
})

/** How the flows that renew with a refresh token can: while they hold one (RFC 6749 §6). */
export const holdsRefreshToken = (credentials: Credentials): boolean => credentials.refreshToken !== undefined

/** Held credentials in, every trace of the last failure out. */
const adopted = (held: Held) => ({
  credentials: held.credentials,
  renewAt: held.renewAt,
  unpersisted: undefined,
  error: undefined,
})

/**
 * `assign` on a renewing flow's context, written once for every flow: XState types an action by
 * the exact context and events of the machine that runs it, so each flow instantiates these.
 */
const update = <
  TContext extends RenewalContext,
  TEvent extends EventObject,
  Params extends ParameterizedObject["params"],
>(
  assignment: (args: { readonly context: RenewalContext }, params: Params) => Partial<RenewalContext>,
) => assign<TContext, TEvent, Params, TEvent, never>(assignment as never)

/** The actions of the shared states, for a flow with context `TContext` and events `TEvent`. */
export const renewalActions = <TContext extends RenewalContext, TEvent extends EventObject>() => ({
  adopt: update<TContext, TEvent, { readonly held: Held }>((_, params) => adopted(params.held)),
  recordError: update<TContext, TEvent, { readonly error: unknown }>((_, params) => ({
    error: params.error,
  })),
  // Only after `isUnsaved`.
  keepUnsaved: update<TContext, TEvent, { readonly outcome: Outcome }>((_, params) => ({
    unpersisted: params.outcome.held,
    error: (params.outcome as Extract<Outcome, { _tag: "Unsaved" }>).error,
  })),
  forget: update<TContext, TEvent, { readonly revokeFailure: unknown }>((_, params) => ({
    credentials: undefined,
    renewAt: undefined,
    unpersisted: undefined,
    error: new ReauthenticationRequired({ reason: "Revoked" }),
    revokeFailure: params.revokeFailure,
  })),
  endForGood: update<TContext, TEvent, undefined>(() => ({
    error: new ReauthenticationRequired({ reason: "NoRefreshToken" }),
    credentials: undefined,
    renewAt: undefined,
  })),
})

/** The outcome of a token request's actor, as guard and action params. */
export const outcomeOf = ({ event }: { readonly event: { readonly output: Outcome } }) => ({
  outcome: event.output,
})
/** The held credentials of a token request's outcome, as action params. */
export const heldOf = ({ event }: { readonly event: { readonly output: Outcome } }) => ({
  held: event.output.held,
})
/** An actor's error, as guard and action params. */
export const errorOf = ({ event }: { readonly event: { readonly error: unknown } }) => ({
  error: event.error,
})

/**
 * Where a token request's outcome leads, for every actor that makes one (renew, a code exchange,
 * a device poll): saved credentials to `valid`; unsaved ones kept in `failed`, to be saved before
 * anything else. `first` names actions that run either way (dropping what the request used).
 */
export const onObtained = <const First extends ReadonlyArray<string>>(...first: First) =>
  [
    {
      guard: { type: "isUnsaved", params: outcomeOf },
      target: "failed",
      actions: [...first, { type: "keepUnsaved", params: outcomeOf }],
    },
    { target: "valid", actions: [...first, { type: "adopt", params: heldOf }] },
  ] as const

/** Holding a token that callers may use; renews when asked past `renewAt`. */
const valid = {
  tags: ["authorized"],
  on: {
    ACCESS_TOKEN_REQUESTED: [
      { guard: "shouldRenew", target: "renewing" },
      { guard: "expiredForGood", target: "reauthenticationRequired", actions: "endForGood" },
    ],
    UNAUTHORIZED: { guard: "rejectedTokenIsCurrent", target: "renewing" },
    REVOKE_REQUESTED: { target: "revoking" },
  },
} as const

/** One renewal in flight; every caller meanwhile waits for its outcome. */
const renewing = {
  tags: ["busy"],
  invoke: {
    id: "renew",
    src: "renew",
    input: ({ context }: { readonly context: RenewalContext }) => ({ credentials: context.credentials }),
    onDone: onObtained(),
    onError: [
      {
        guard: { type: "requiresReauthentication", params: errorOf },
        target: "reauthenticationRequired",
        actions: { type: "recordError", params: errorOf },
      },
      { target: "failed", actions: { type: "recordError", params: errorOf } },
    ],
  },
} as const

/** Saving credentials a renewal obtained but could not save; no new token request is made. */
const persisting = {
  tags: ["busy"],
  invoke: {
    id: "persist",
    src: "persist",
    input: ({ context }: { readonly context: RenewalContext }) => context.unpersisted!,
    onDone: {
      target: "valid",
      actions: {
        type: "adopt",
        params: ({ event }: { readonly event: { readonly output: Held } }) => ({ held: event.output }),
      },
    },
    onError: { target: "failed", actions: { type: "recordError", params: errorOf } },
  },
} as const

/** The last renewal failed; the next call tries again (saving first, if that is what failed). */
const failed = {
  on: {
    ACCESS_TOKEN_REQUESTED: [{ guard: "hasUnpersisted", target: "persisting" }, { target: "renewing" }],
    REVOKE_REQUESTED: { target: "revoking" },
  },
} as const

/** Revoking at the server where possible; local credentials are forgotten whatever it answers. */
const revoking = {
  tags: ["busy"],
  invoke: {
    id: "revoke",
    src: "revoke",
    // The newest credentials are revoked, including ones not saved yet.
    input: ({ context }: { readonly context: RenewalContext }) => ({
      credentials: context.unpersisted?.credentials ?? context.credentials,
    }),
    onDone: {
      target: "reauthenticationRequired",
      actions: { type: "forget", params: { revokeFailure: undefined } },
    },
    onError: {
      target: "reauthenticationRequired",
      actions: {
        type: "forget",
        params: ({ event }: { readonly event: { readonly error: unknown } }) => ({
          revokeFailure: event.error,
        }),
      },
    },
  },
} as const

/** The end: the user must log in again. Nothing leaves this state. */
const reauthenticationRequired = { type: "final" } as const

/** The states of every flow that renews, to spread into a machine's `states`. */
export const renewalStates = { valid, renewing, persisting, failed, revoking, reauthenticationRequired }
