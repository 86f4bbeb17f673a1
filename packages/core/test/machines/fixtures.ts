/**
 * Shared fixtures for the machine tests: the four flow machines driven through XState's pure
 * `initialTransition` / `transition`, with invoked actors completed by hand (nothing is started).
 */

import * as Redacted from "effect/Redacted"
import type { AnyMachineSnapshot, AnyStateMachine, AnyStateNode, TransitionDefinition } from "xstate"
import { createActor, initialTransition, transition } from "xstate"
import type { CallbackExpectation } from "../../src/AuthorizationResponse.js"
import type { Credentials } from "../../src/Credentials.js"
import {
  AuthorizationDenied,
  DeviceCodeExpired,
  OAuthError,
  PersistenceError,
  RateLimited,
  ReauthenticationRequired,
  TimeoutError,
  TransportError,
} from "../../src/Errors.js"
import type {
  AuthorizationCodeInput,
  DeviceCode,
  Held,
  FlowEvent as MachineEvent,
  Obtained,
  Outcome,
  RenewalContext,
  RenewalInput,
} from "../../src/machines/index.js"
import { machines } from "../../src/machines/index.js"

export type FlowName =
  | "clientCredentials"
  | "authorizationCode"
  | "savedCredentials"
  | "staticToken"
  | "deviceAuthorization"
export type FlowMachine = AnyStateMachine

/** The ids of the invoked actors; they equal the `src` names. */
export type ActorId = "renew" | "persist" | "exchangeCode" | "revoke" | "requestDeviceCode" | "pollDeviceCode"
/** The actors of the flows the property tests drive (the device flow's are the model test's). */
export const actorIds: ReadonlyArray<ActorId> = ["renew", "persist", "exchangeCode", "revoke"]
/** The actors that make (or stand in for) a token request: at most one may run at a time. */
export const requestActors: ReadonlyArray<ActorId> = ["renew", "exchangeCode", "persist"]

export type ActorEvent =
  | { readonly type: `xstate.done.actor.${ActorId}`; readonly output: unknown }
  | { readonly type: `xstate.error.actor.${ActorId}`; readonly error: unknown }
export type FlowEvent = MachineEvent | ActorEvent
/** What any of the machines under test starts from. */
export type FlowInput = RenewalInput | AuthorizationCodeInput

/** What the tests read of a flow's context: the renewal context, and the code of the code flow. */
export type TestContext = RenewalContext & {
  readonly code?: Redacted.Redacted<string> | undefined
  readonly device?: DeviceCode | undefined
}

/** The snapshot as the tests read it. */
export interface Snap {
  readonly value: unknown
  readonly status: "active" | "done" | "error" | "stopped"
  readonly context: TestContext
  readonly children: Readonly<Record<string, unknown>>
  hasTag(tag: string): boolean
  matches(value: never): boolean
}

export const flowMachine = (name: FlowName): FlowMachine => machines[name] as unknown as AnyStateMachine

export const start = (machine: FlowMachine, input: FlowInput): [Snap, ReadonlyArray<{ type: string }>] => {
  const [snapshot, actions] = initialTransition(machine, input)
  return [snapshot as unknown as Snap, actions]
}

export const step = (
  machine: FlowMachine,
  snapshot: Snap,
  event: FlowEvent,
): [Snap, ReadonlyArray<{ type: string; params?: unknown }>] => {
  const [next, actions] = transition(machine, snapshot as unknown as AnyMachineSnapshot, event as never)
  return [next as unknown as Snap, actions as ReadonlyArray<{ type: string; params?: unknown }>]
}

/** A transition definition as XState keeps it on its source node. */
export type Candidate = TransitionDefinition<never, never>

/**
 * One pure step like `transition`, that also reports every transition definition taken in it:
 * the event's own, and the eventless (`always`) ones and raised events' that follow, as XState's
 * microstep inspection names them. Nothing is executed: actions are returned, as by `transition`.
 */
export const tracedStep = (
  machine: FlowMachine,
  snapshot: Snap | undefined,
  eventOrInput: FlowEvent | FlowInput,
): {
  after: Snap
  actions: ReadonlyArray<{ type: string; params?: unknown }>
  taken: ReadonlyArray<Candidate>
} => {
  const tracer = tracerOf(machine)
  tracer.taken.length = 0
  tracer.actions.length = 0
  let after: unknown
  if (snapshot === undefined) after = machine.getInitialSnapshot(tracer.scope as never, eventOrInput)
  else {
    // As `transition` does: the scope's actor holds the snapshot being transitioned.
    ;(tracer.self as unknown as { _snapshot: unknown })._snapshot = snapshot
    after = machine.transition(snapshot as never, eventOrInput as never, tracer.scope as never)
  }
  return { after: after as unknown as Snap, actions: [...tracer.actions], taken: [...tracer.taken] }
}

interface Tracer {
  readonly self: ReturnType<typeof createActor>
  readonly scope: object
  readonly taken: Array<Candidate>
  readonly actions: Array<{ type: string; params?: unknown }>
}

const tracers = new WeakMap<FlowMachine, Tracer>()

/** An inert actor scope like `transition`'s, whose system reports microsteps (one per machine). */
const tracerOf = (machine: FlowMachine): Tracer => {
  const cached = tracers.get(machine)
  if (cached !== undefined) return cached
  const taken: Array<Candidate> = []
  const actions: Array<{ type: string; params?: unknown }> = []
  // A never-started actor lends its system, which carries the inspection observer (its own
  // initial snapshot is never used; a minimal input keeps building it cheap).
  const self = createActor(machine, { input: { expectation } })
  self.system.inspect((inspection) => {
    if (inspection.type === "@xstate.microstep")
      taken.push(...((inspection as unknown as { _transitions?: Array<Candidate> })._transitions ?? []))
  })
  const scope = {
    self,
    defer: () => {},
    id: "",
    logger: () => {},
    sessionId: "",
    stopChild: () => {},
    system: self.system,
    emit: () => {},
    actionExecutor: (action: { type: string; params?: unknown }) => void actions.push(action),
  }
  const tracer = { self, scope, taken, actions }
  tracers.set(machine, tracer)
  return tracer
}

/** The transitions XState selects for `event` in `snapshot` (what `transition` will take). */
export const selected = (
  machine: FlowMachine,
  snapshot: Snap,
  event: FlowEvent,
): ReadonlyArray<TransitionDefinition<never, never>> =>
  snapshot.status === "active"
    ? (machine.getTransitionData(snapshot as unknown as AnyMachineSnapshot, event as never) as never)
    : []

export const stateName = (snapshot: Snap): string =>
  typeof snapshot.value === "string" ? snapshot.value : JSON.stringify(snapshot.value)

/** Every state node under the root (the root itself is not counted). */
export const stateNodesOf = (machine: FlowMachine): ReadonlyArray<AnyStateNode> => {
  const out: Array<AnyStateNode> = []
  const walk = (node: AnyStateNode) => {
    for (const child of Object.values(node.states) as Array<AnyStateNode>) {
      out.push(child)
      walk(child)
    }
  }
  walk(machine.root)
  return out
}

const guardName = (guard: unknown): string =>
  typeof guard === "string"
    ? guard
    : typeof guard === "object" && guard !== null && "type" in guard
      ? String(guard.type)
      : "inline"

/** The root and every state node under it. */
export const allNodesOf = (machine: FlowMachine): ReadonlyArray<AnyStateNode> => [
  machine.root,
  ...stateNodesOf(machine),
]

/**
 * Every transition the machine can take, by definition, with a stable name: each node's `on`
 * handlers (the root's included), `after` and invoke `onDone` / `onError` (XState files these under
 * their event types), and its eventless `always` transitions.
 */
export const candidatesOf = (machine: FlowMachine): ReadonlyMap<Candidate, string> => {
  const out = new Map<Candidate, string>()
  const name = (node: AnyStateNode, label: string, index: number, candidate: Candidate) => {
    const target = candidate.target?.map((t) => t.id).join(",") ?? "(self)"
    const guard = candidate.guard === undefined ? "" : `[${guardName(candidate.guard)}]`
    out.set(candidate, `${node.id} --${label}#${index}${guard}--> ${target}`)
  }
  for (const node of allNodesOf(machine)) {
    for (const [eventType, candidates] of node.transitions.entries())
      for (const [index, candidate] of (candidates as Array<Candidate>).entries())
        name(node, eventType, index, candidate)
    for (const [index, candidate] of ((node.always ?? []) as Array<Candidate>).entries())
      name(node, "always", index, candidate)
  }
  return out
}

/** The state node ids a snapshot is in (flat or nested). */
export const activeNodeIds = (machine: FlowMachine, snapshot: Snap): ReadonlyArray<string> =>
  stateNodesOf(machine)
    .filter((node) => snapshot.matches(toValue(node.path) as never))
    .map((node) => node.id)

const toValue = (path: ReadonlyArray<string>): unknown =>
  path.length === 1 ? path[0] : { [path[0] as string]: toValue(path.slice(1)) }

export const runningActors = (snapshot: Snap): ReadonlyArray<string> =>
  Object.keys(snapshot.children).filter((id) => snapshot.children[id] !== undefined)

/** The actor each invoking state runs. */
export const invokedIn: Readonly<Record<string, ActorId>> = {
  renewing: "renew",
  persisting: "persist",
  exchanging: "exchangeCode",
  revoking: "revoke",
  requestingCode: "requestDeviceCode",
  polling: "pollDeviceCode",
}

// ---------------------------------------------------------------------------------------------
// Data
// ---------------------------------------------------------------------------------------------

export const T0 = 1_700_000_000_000
export const hour = 3_600_000
export const expiresAt = T0 + hour
export const margin = 60_000

export const credentials = (
  accessToken: string,
  refreshToken?: string,
  expires = expiresAt,
): Credentials => ({
  accessToken,
  tokenType: "Bearer",
  scopes: [],
  expiresAt: expires,
  ...(refreshToken === undefined ? {} : { refreshToken }),
})

/**
 * The oracle of when credentials are due (DESIGN.md), written here, not imported from src: `margin`
 * before `expiresAt`, but never more than half the token's lifetime (RFC 6749 §5.1's `expires_in`
 * counts from when it was obtained). No expiry, never due.
 */
export const oracleRenewAt = (obtained: Obtained, marginMs: number): number | undefined => {
  const { expiresAt } = obtained.credentials
  if (expiresAt === undefined) return undefined
  const lifetime = expiresAt - obtained.obtainedAt
  return expiresAt - Math.min(marginMs, Math.max(0, lifetime) / 2)
}

/** Credentials as the runtime hands them to a machine: with when they are due. */
export const heldOf = (obtained: Obtained, marginMs = margin): Held => ({
  ...obtained,
  renewAt: oracleRenewAt(obtained, marginMs),
})

/** Credentials obtained at `T0`, due a minute before they expire. */
export const obtained = (accessToken: string, refreshToken?: string): Held =>
  heldOf({ credentials: credentials(accessToken, refreshToken), obtainedAt: T0 })

/** A token request that got credentials and saved them. */
export const saved = (held: Held): Outcome => ({ _tag: "Saved", held })
/** A token request that got credentials and could not save them. */
export const unsaved = (held: Held): Outcome => ({
  _tag: "Unsaved",
  held,
  error: new PersistenceError({ reason: "Store" }),
})

/** `now` values relative to the fixtures' expiry: before renewAt, inside the margin, after expiry. */
export const nows = { early: T0 + 1_000, inMargin: expiresAt - margin / 2, expired: expiresAt + 1 } as const

export const issuer = "https://auth.example.test"
export const goodState = "Zx9_k2-Lq8wR4tY7uI0oP3aS6dF1gH5jK8lZ2xC4vB7"
export const goodCode = "the-authorization-code"

export const expectation: CallbackExpectation = {
  provider: { issuer, authorizationResponseIssParameterSupported: true },
  pending: { state: goodState, issuer },
}

export const callbackOf = (params: ReadonlyArray<readonly [string, string]>): string =>
  `/callback?${new URLSearchParams(params.map(([k, v]) => [k, v])).toString()}`

export const callbacks = {
  good: callbackOf([
    ["code", goodCode],
    ["state", goodState],
    ["iss", issuer],
  ]),
  wrongState: callbackOf([
    ["code", goodCode],
    ["state", `${goodState.slice(0, -1)}8`],
    ["iss", issuer],
  ]),
  wrongIss: callbackOf([
    ["code", goodCode],
    ["state", goodState],
    ["iss", "https://evil.example.test"],
  ]),
  denied: callbackOf([
    ["error", "access_denied"],
    ["state", goodState],
    ["iss", issuer],
  ]),
} as const

export const inputs = {
  clientCredentials: {},
  authorizationCode: { expectation },
  savedCredentials: { obtained: obtained("saved-at", "saved-rt") },
  savedCredentialsNoRefresh: { obtained: obtained("saved-at") },
  // A static token has no margin: it is due when it expires.
  staticToken: { obtained: heldOf({ credentials: credentials("static-at"), obtainedAt: T0 }, 0) },
  deviceAuthorization: {},
} as const satisfies Record<string, FlowInput>

export const errors = {
  reauthentication: () => new ReauthenticationRequired({ reason: "InvalidGrant" }),
  persistence: () => new PersistenceError({ reason: "Store" }),
  oauth: () => new OAuthError({ endpoint: "token", error: "invalid_client", status: 401 }),
  transport: () => new TransportError({ reason: "Network", url: "https://auth.example.test/token" }),
  timeout: () => new TimeoutError({ url: "https://auth.example.test/token", timeoutMs: 10_000 }),
  rateLimited: () => new RateLimited({}),
  denied: () => new AuthorizationDenied({}),
  deviceCodeExpired: () => new DeviceCodeExpired({ reason: "ServerSaidExpired" }),
  oauthCode: (error: string) => new OAuthError({ endpoint: "token", error, status: 400 }),
} as const

/** A device authorization response as the runtime decodes it (RFC 8628 §3.2). */
export const deviceCode = (intervalMs = 5000): DeviceCode => ({
  deviceCode: Redacted.make("the-device-code"),
  userCode: "WDJB-MJHT",
  verificationUri: "https://auth.example.test/device",
  expiresAt: T0 + 600_000,
  intervalMs,
})

export const done = (actor: ActorId, output: unknown): ActorEvent => ({
  type: `xstate.done.actor.${actor}`,
  output,
})
export const fail = (actor: ActorId, error: unknown): ActorEvent => ({
  type: `xstate.error.actor.${actor}`,
  error,
})

export const tagOf = (error: unknown): unknown =>
  typeof error === "object" && error !== null && "_tag" in error ? error._tag : undefined
