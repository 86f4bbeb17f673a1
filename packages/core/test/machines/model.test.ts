/**
 * Model-based tests of the flow machines. Each machine is explored breadth-first through XState's
 * pure `transition` with a small set of representative events (invoked actors are completed by
 * sending their done/error events by hand). Every (reachable state, event) pair becomes a test
 * path: the shortest path to the state, then the event. The paths are replayed from the initial
 * snapshot with assertions on every step, and the state nodes and transitions they take (XState's
 * microsteps: the event's own and any eventless ones after it) are compared with every transition
 * the definition declares, the root's and `always` included. The expected behaviour comes from an
 * oracle written here from the RFCs and DESIGN.md, never from the machines' own helpers.
 */
import { getShortestPaths } from "@xstate/graph"
import * as Redacted from "effect/Redacted"
import { describe, expect, it } from "vitest"
import { createActor, createMachine, fromPromise } from "xstate"
import type { Credentials } from "../../src/Credentials.js"
import type { Held, Outcome } from "../../src/machines/index.js"
import {
  activeNodeIds,
  type Candidate,
  callbacks,
  candidatesOf,
  deviceCode,
  done,
  errors,
  type FlowEvent,
  type FlowInput,
  type FlowMachine,
  type FlowName,
  fail,
  flowMachine,
  goodCode,
  heldOf,
  inputs,
  invokedIn,
  margin,
  nows,
  obtained,
  oracleRenewAt,
  runningActors,
  type Snap,
  saved,
  selected,
  start,
  stateName,
  stateNodesOf,
  step,
  T0,
  tagOf,
  tracedStep,
  unsaved as unsavedOutcome,
} from "./fixtures.js"

const renewedWithRefresh = obtained("renewed-at", "renewed-rt")
const renewedClient = obtained("renewed-at")
const exchanged = obtained("exchanged-at", "exchanged-rt")
const exchangedNoRefresh = obtained("exchanged-at-without-rt")
const unsaved = obtained("unsaved-at", "unsaved-rt")
const replaced = heldOf(obtained("replaced-at"), 0)
const replacedEmpty = heldOf(obtained(""), 0)
// Lives 30 s: due after half its lifetime, not a minute before expiry.
const renewedShortLived: Held = heldOf({
  credentials: { ...obtained("short-lived-at", "short-lived-rt").credentials, expiresAt: T0 + 30_000 },
  obtainedAt: T0,
})

// ---------------------------------------------------------------------------------------------
// The oracle, from the RFCs and DESIGN.md (not from src): what each flow may do by itself.
// ---------------------------------------------------------------------------------------------

/**
 * Whether a flow can get a new token without the user: a client credentials client asks again
 * (RFC 6749 §4.4), a refresh token buys one (§6), a static token never renews (RFC 6750 only uses it).
 */
const oracleCanRenew = (flow: FlowName, credentials: Credentials | undefined): boolean =>
  flow === "clientCredentials" || (flow !== "staticToken" && credentials?.refreshToken !== undefined)

/** The renewal margin each flow runs with: DESIGN.md's minute, none for a static token. */
const oracleMargin = (flow: FlowName): number => (flow === "staticToken" ? 0 : margin)

/**
 * Where a token request from `valid` leads: served until due; renewed when due and renewable;
 * else served until it expires, then the end (a static token waits for its replacement).
 * Every credential in this test was obtained at `T0`.
 */
const oracleOnRequest = (flow: FlowName, credentials: Credentials | undefined, now: number): string => {
  const renewAt =
    credentials === undefined ? undefined : oracleRenewAt({ credentials, obtainedAt: T0 }, oracleMargin(flow))
  if (credentials !== undefined && (renewAt === undefined || now < renewAt)) return "valid"
  if (oracleCanRenew(flow, credentials)) return "renewing"
  if (credentials !== undefined && (credentials.expiresAt === undefined || now < credentials.expiresAt))
    return "valid"
  return flow === "staticToken" ? "expired" : "reauthenticationRequired"
}

/** The `xstate.after.*` events the active state nodes wait for. */
const afterEventsOf = (snapshot: Snap): ReadonlyArray<FlowEvent> =>
  ((snapshot as unknown as { _nodes: ReadonlyArray<{ transitions: Map<string, unknown> }> })._nodes ?? [])
    .flatMap((node) => [...node.transitions.keys()])
    .filter((type) => type.startsWith("xstate.after."))
    .map((type) => ({ type }) as unknown as FlowEvent)

/** The representative events tried in a snapshot; actor events only for the actors running in it. */
const eventsFor = (snapshot: Snap): ReadonlyArray<FlowEvent> => {
  const current = snapshot.context.credentials?.accessToken
  const events: Array<FlowEvent> = [
    { type: "ACCESS_TOKEN_REQUESTED", now: nows.early },
    { type: "ACCESS_TOKEN_REQUESTED", now: nows.inMargin },
    { type: "ACCESS_TOKEN_REQUESTED", now: nows.expired },
    // Exactly at the due time and at the expiry: due, and expired, from that instant on.
    ...[snapshot.context.renewAt, snapshot.context.credentials?.expiresAt]
      .filter((now): now is number => now !== undefined)
      .map((now) => ({ type: "ACCESS_TOKEN_REQUESTED", now }) as const),
    { type: "UNAUTHORIZED", accessToken: "a-stale-token" },
    ...(current === undefined ? [] : [{ type: "UNAUTHORIZED", accessToken: current } as const]),
    { type: "CALLBACK_RECEIVED", callback: callbacks.good },
    { type: "CALLBACK_RECEIVED", callback: callbacks.wrongState },
    { type: "CALLBACK_RECEIVED", callback: callbacks.wrongIss },
    { type: "CALLBACK_RECEIVED", callback: callbacks.denied },
    { type: "CREDENTIALS_REPLACED", held: replaced },
    { type: "CREDENTIALS_REPLACED", held: replacedEmpty },
    { type: "REVOKE_REQUESTED" },
    // Delayed transitions, should a state declare any (none does today).
    ...afterEventsOf(snapshot),
  ]
  const anyError = (actor: "renew" | "persist" | "exchangeCode") => [
    fail(actor, errors.reauthentication()),
    fail(actor, errors.persistence()),
    fail(actor, errors.oauth()),
    fail(actor, errors.transport()),
    // An embedder's actor may reject with anything (a bare `Promise.reject()`, null): no tag, so
    // never "reauthentication required", and never a crash.
    fail(actor, undefined),
    fail(actor, null),
  ]
  for (const actor of runningActors(snapshot)) {
    if (actor === "renew") {
      const output =
        snapshot.context.credentials?.refreshToken === undefined ? renewedClient : renewedWithRefresh
      events.push(
        done("renew", saved(output)),
        done("renew", saved(renewedShortLived)),
        done("renew", unsavedOutcome(unsaved)),
        ...anyError("renew"),
      )
    } else if (actor === "persist") {
      events.push(done("persist", snapshot.context.unpersisted), ...anyError("persist"))
    } else if (actor === "exchangeCode") {
      events.push(done("exchangeCode", saved(exchanged)), done("exchangeCode", saved(exchangedNoRefresh)))
      events.push(done("exchangeCode", unsavedOutcome(unsaved)), ...anyError("exchangeCode"))
    } else if (actor === "requestDeviceCode") {
      events.push(done(actor, deviceCode()), fail(actor, errors.transport()))
    } else if (actor === "pollDeviceCode") {
      events.push(done(actor, saved(exchanged)), done(actor, saved(exchangedNoRefresh)))
      events.push(done(actor, unsavedOutcome(unsaved)))
      // RFC 8628 §3.5's answers, the runtime's errors for refusals, and failures that are not final.
      // slow_down only twice, so that the exploration stays finite.
      if ((snapshot.context.device?.intervalMs ?? 0) < 15_000)
        events.push(fail(actor, errors.oauthCode("slow_down")))
      events.push(
        fail(actor, errors.oauthCode("authorization_pending")),
        fail(actor, errors.denied()),
        fail(actor, errors.deviceCodeExpired()),
        fail(actor, errors.transport()),
        fail(actor, errors.timeout()),
        fail(actor, errors.rateLimited()),
        fail(actor, errors.oauth()),
        fail(actor, undefined),
      )
    } else if (actor === "revoke") {
      events.push(
        done("revoke", undefined),
        fail("revoke", errors.transport()),
        fail("revoke", errors.oauth()),
      )
    }
  }
  return events
}

/** What distinguishes snapshots for the exploration (tokens by name, errors by tag). */
const serialize = (snapshot: Snap): string => {
  const c = snapshot.context
  return JSON.stringify([
    snapshot.value,
    snapshot.status,
    c.credentials?.accessToken,
    c.credentials?.refreshToken,
    c.renewAt,
    c.unpersisted?.credentials.accessToken,
    tagOf(c.error),
    tagOf(c.revokeFailure),
    c.code !== undefined,
    c.device?.intervalMs,
  ])
}

interface Flow {
  readonly name: FlowName
  readonly machine: FlowMachine
  readonly inputs: ReadonlyArray<FlowInput>
  /** Transition candidates proven unreachable (see the test that proves each). */
  readonly dead: ReadonlyArray<string>
}

const flows: ReadonlyArray<Flow> = [
  {
    name: "clientCredentials",
    machine: flowMachine("clientCredentials"),
    inputs: [inputs.clientCredentials],
    dead: [],
  },
  {
    name: "authorizationCode",
    machine: flowMachine("authorizationCode"),
    inputs: [inputs.authorizationCode],
    dead: [],
  },
  {
    name: "savedCredentials",
    machine: flowMachine("savedCredentials"),
    // Started without credentials too: an embedder may do so, and must not get an authorized source.
    inputs: [inputs.savedCredentials, inputs.savedCredentialsNoRefresh, {}],
    dead: [],
  },
  {
    name: "deviceAuthorization",
    machine: flowMachine("deviceAuthorization"),
    inputs: [inputs.deviceAuthorization],
    dead: [],
  },
  {
    name: "staticToken",
    machine: flowMachine("staticToken"),
    inputs: [inputs.staticToken, {}],
    dead: [],
  },
]

interface Path {
  readonly input: FlowInput
  readonly events: ReadonlyArray<FlowEvent>
}

interface Exploration {
  /** Every reachable snapshot (by serialization) with the shortest event path to it. */
  readonly reachable: ReadonlyArray<{ readonly snapshot: Snap; readonly path: Path }>
  /** The transition tour: the shortest path to every reachable snapshot, then each event. */
  readonly paths: ReadonlyArray<Path>
}

const explore = (flow: Flow): Exploration => {
  const reachable: Array<{ snapshot: Snap; path: Path }> = []
  const seen = new Set<string>()
  for (const input of flow.inputs) {
    const [initial] = start(flow.machine, input)
    const queue: Array<{ snapshot: Snap; path: Path }> = [{ snapshot: initial, path: { input, events: [] } }]
    seen.add(`${JSON.stringify(input)}|${serialize(initial)}`)
    while (queue.length > 0) {
      const item = queue.shift()!
      reachable.push(item)
      for (const event of eventsFor(item.snapshot)) {
        const [next] = step(flow.machine, item.snapshot, event)
        const key = `${JSON.stringify(input)}|${serialize(next)}`
        if (seen.has(key)) continue
        seen.add(key)
        queue.push({ snapshot: next, path: { input, events: [...item.path.events, event] } })
      }
      expect(reachable.length, "the exploration must stay finite").toBeLessThan(5_000)
    }
  }
  const paths = reachable.flatMap(({ snapshot, path }) =>
    eventsFor(snapshot).map((event) => ({ input: path.input, events: [...path.events, event] })),
  )
  return { reachable, paths }
}

// Explored on first use, inside a test: a machine that cannot even be explored must fail tests,
// not the loading of this file (which mutation testing would not count as a failure).
const explorations = new Map<FlowName, Exploration>()
const explorationOf = (flow: Flow): Exploration => {
  const known = explorations.get(flow.name)
  if (known !== undefined) return known
  const exploration = explore(flow)
  explorations.set(flow.name, exploration)
  return exploration
}

const isActorDone = (
  event: FlowEvent,
  actor: string,
): event is FlowEvent & { readonly type: `xstate.done.actor.${string}`; readonly output: Outcome } =>
  event.type === `xstate.done.actor.${actor}`

/** What must hold of every snapshot, the initial ones included. */
const checkSnapshot = (flow: Flow, snapshot: Snap, where: string): void => {
  const state = stateName(snapshot)
  // Never authorized without an access token to use (RFC 6750 §2.1 needs one to send).
  if (snapshot.hasTag("authorized")) {
    expect(snapshot.context.credentials?.accessToken, where).toEqual(expect.stringMatching(/.+/))
  }
  // Callers are answered from exactly the states that hold a usable token (RFC 6750 §2.1).
  expect(snapshot.hasTag("authorized"), where).toBe(state === "valid")
  // An invoking state runs exactly its own actor; no other state runs any.
  expect(runningActors(snapshot), where).toEqual(invokedIn[state] === undefined ? [] : [invokedIn[state]])
  // Busy while an actor runs, and while a device login waits to poll (RFC 8628 §3.5).
  expect(snapshot.hasTag("busy"), where).toBe(invokedIn[state] !== undefined || state === "awaitingUser")
  // Final states are exactly the ends of the flows.
  expect(snapshot.status === "done", where).toBe(
    ["reauthenticationRequired", "rejected", "denied", "expired"].includes(state) &&
      !(flow.name === "staticToken" && state === "expired"),
  )
  // An authorization code is held only while it is exchanged (RFC 6749 §4.1.2: used once).
  expect(snapshot.context.code !== undefined, where).toBe(state === "exchanging")
  // A static token that cannot be used says when it expired (0 when there never was one).
  if (flow.name === "staticToken" && state === "expired")
    expect(tagOf(snapshot.context.error), where).toBe("TokenExpired")
  // A device code is held exactly while the device login waits for the user.
  if (flow.name === "deviceAuthorization")
    expect(snapshot.context.device !== undefined, where).toBe(["awaitingUser", "polling"].includes(state))
  expect(snapshot.status, where).not.toBe("error")
  if (snapshot.status === "done") {
    expect(snapshot.hasTag("authorized"), where).toBe(false)
    if (state === "reauthenticationRequired")
      expect(tagOf(snapshot.context.error), where).toBe("ReauthenticationRequired")
  }
  // Held credentials are due when the oracle says (all were obtained at T0): the machine keeps
  // the `renewAt` they came with, whichever way they came.
  if (state === "valid" && snapshot.context.credentials !== undefined) {
    expect(snapshot.context.renewAt, where).toBe(
      oracleRenewAt({ credentials: snapshot.context.credentials, obtainedAt: T0 }, oracleMargin(flow.name)),
    )
  }
}

/** Starts a flow, checking its initial snapshot; returns it with the transitions taken. */
const checkStart = (flow: Flow, input: FlowInput): { after: Snap; taken: ReadonlyArray<Candidate> } => {
  const { after, taken } = tracedStep(flow.machine, undefined, input)
  checkSnapshot(flow, after, `${flow.name}: initial snapshot for ${JSON.stringify(input)}`)
  if (input.obtained !== undefined && flow.name !== "clientCredentials" && flow.name !== "authorizationCode")
    expect(after.context.credentials).toBe(input.obtained.credentials)
  return { after, taken }
}

/**
 * Checks one step: the snapshot invariants, and what the taken transition must have done, against
 * the oracle. Returns the transitions taken (the event's and any eventless ones after it).
 */
const checkStep = (
  flow: Flow,
  before: Snap,
  event: FlowEvent,
): { after: Snap; taken: ReadonlyArray<Candidate> } => {
  const selectedForEvent = selected(flow.machine, before, event)
  const { after, taken } = tracedStep(flow.machine, before, event)
  // The traced step is the pure `transition`, not a variant of it.
  expect(stateName(after)).toBe(stateName(step(flow.machine, before, event)[0]))
  const from = stateName(before)
  const to = stateName(after)
  const where = `${flow.name}: ${from} --${event.type}--> ${to}`

  checkSnapshot(flow, after, where)
  // Nothing changes once the machine is done, and an event nobody handles changes nothing.
  if (before.status === "done" || taken.length === 0) expect(after, where).toBe(before)
  expect(selectedForEvent.length, where).toBeLessThanOrEqual(1)

  // A token request from a usable token: served, renewed, or ended, as the oracle says.
  if (event.type === "ACCESS_TOKEN_REQUESTED" && from === "valid") {
    expect(to, where).toBe(oracleOnRequest(flow.name, before.context.credentials, event.now))
    // Expired with nothing to renew it with: the user must log in again, and is told why.
    if (to === "reauthenticationRequired")
      expect(after.context.error, where).toMatchObject({ reason: "NoRefreshToken" })
    // A static token past its expiry: callers are told when it expired.
    if (to === "expired")
      expect(after.context.error, where).toMatchObject({
        _tag: "TokenExpired",
        expiredAt: before.context.credentials!.expiresAt,
      })
  }
  // A 401 for the token held renews it when the flow can (RFC 6750 §3.1 invalid_token); a 401 for
  // another token, or on a flow that cannot renew, changes nothing.
  if (event.type === "UNAUTHORIZED" && from === "valid") {
    const current = event.accessToken === before.context.credentials?.accessToken
    if (current && oracleCanRenew(flow.name, before.context.credentials)) expect(to, where).toBe("renewing")
    else expect(after, where).toBe(before)
  }
  // A replacement without an access token is no token at all: ignored.
  if (event.type === "CREDENTIALS_REPLACED") {
    if (event.held.credentials.accessToken === "") expect(after, where).toBe(before)
    else if (flow.name === "staticToken" && before.status === "active") {
      expect(to, where).toBe("valid")
      expect(after.context.credentials, where).toBe(event.held.credentials)
    }
  }
  // A revocation request is honoured from every state that holds (or held) a grant (RFC 7009 §2).
  if (event.type === "REVOKE_REQUESTED" && (from === "valid" || from === "failed" || from === "idle")) {
    expect(to, where).toBe(flow.name === "staticToken" ? "reauthenticationRequired" : "revoking")
  }
  if (taken.length === 0) return { after, taken }

  // Obtained and saved credentials are adopted whole; obtained but unsaved ones are kept, to be
  // saved before anything else happens.
  if (
    isActorDone(event, "renew") ||
    isActorDone(event, "exchangeCode") ||
    isActorDone(event, "pollDeviceCode")
  ) {
    const { held } = event.output
    expect(after.context.code, where).toBeUndefined()
    if (event.output._tag === "Saved") {
      expect(to, where).toBe("valid")
      expect(after.context.credentials, where).toBe(held.credentials)
      expect(after.context.renewAt, where).toBe(held.renewAt)
      expect(after.context.unpersisted, where).toBeUndefined()
      expect(after.context.error, where).toBeUndefined()
    } else {
      expect(to, where).toBe("failed")
      expect(after.context.unpersisted, where).toBe(held)
      expect(after.context.error, where).toBe(event.output.error)
      expect(after.hasTag("authorized"), where).toBe(false)
    }
  }
  if (event.type === "xstate.done.actor.persist") {
    expect(to, where).toBe("valid")
    expect(after.context.credentials, where).toBe(before.context.unpersisted?.credentials)
    expect(after.context.unpersisted, where).toBeUndefined()
  }
  if (event.type === "xstate.done.actor.requestDeviceCode") {
    expect(to, where).toBe("awaitingUser")
    expect(after.context.device, where).toBe((event as { output: unknown }).output)
  }
  if (event.type.startsWith("xstate.after.")) {
    expect([from, to], where).toEqual(["awaitingUser", "polling"])
    // The poll presents the device code it was given.
    expect(after.children.pollDeviceCode, where).toBeDefined()
  }
  if (event.type === "xstate.error.actor.pollDeviceCode") {
    // RFC 8628 §3.5: pending and slow_down (5 s more) poll again, as do failures that are not the
    // server's answer; access_denied and expired_token end the login, as does any other error.
    const error = (event as { error: unknown }).error
    const code = tagOf(error) === "OAuthError" ? (error as { error: string }).error : undefined
    const again =
      code === "authorization_pending" ||
      code === "slow_down" ||
      ["TransportError", "TimeoutError", "RateLimited"].includes(tagOf(error) as string)
    const end = { AuthorizationDenied: "denied", DeviceCodeExpired: "expired" }[tagOf(error) as string]
    expect(to, where).toBe(again ? "awaitingUser" : (end ?? "rejected"))
    if (again) {
      const interval = before.context.device!.intervalMs + (code === "slow_down" ? 5000 : 0)
      expect(after.context.device, where).toEqual({ ...before.context.device, intervalMs: interval })
      expect(after.context.error, where).toBe(before.context.error)
    } else expect(after.context.error, where).toBe(error)
  } else if (event.type.startsWith("xstate.error.actor.")) {
    const error = (event as { error: unknown }).error
    if (event.type === "xstate.error.actor.revoke") expect(after.context.revokeFailure, where).toBe(error)
    else if (from === "persisting") {
      // A save that fails again is answered to the waiting callers; the credentials stay kept.
      expect(to, where).toBe("failed")
      expect(after.context.unpersisted, where).toBe(before.context.unpersisted)
    } else if (from === "exchanging" || from === "requestingCode") {
      // A code that could not be exchanged ends this login (RFC 6749 §4.1.2: codes are single-use).
      expect(to, where).toBe("rejected")
    } else if (from === "renewing") {
      // Only a grant the server refused for good (RFC 6749 §5.2 invalid_grant, which the runtime
      // reports as ReauthenticationRequired) ends the session; any other failure is retried.
      expect(to, where).toBe(
        tagOf(error) === "ReauthenticationRequired" ? "reauthenticationRequired" : "failed",
      )
    }
    if (event.type !== "xstate.error.actor.revoke") expect(after.context.error, where).toBe(error)
  }
  // A refused callback never reaches the token endpoint.
  if (event.type === "CALLBACK_RECEIVED") {
    const good = event.callback === callbacks.good
    expect(to, where).toBe(good ? "exchanging" : "rejected")
    if (good) expect(Redacted.value(after.context.code!), where).toBe(goodCode)
    else {
      expect(after.context.code, where).toBeUndefined()
      const expected = {
        [callbacks.wrongState]: "StateMismatch",
        [callbacks.wrongIss]: "MalformedResponse",
        [callbacks.denied]: "AuthorizationDenied",
      }[String(event.callback)]
      expect(tagOf(after.context.error), where).toBe(expected)
    }
  }
  // Revocation forgets everything local, whatever the server answered (RFC 7009 §2.2).
  if (from === "revoking" || (flow.name === "staticToken" && event.type === "REVOKE_REQUESTED")) {
    expect(to, where).toBe("reauthenticationRequired")
    expect(after.context.credentials, where).toBeUndefined()
    expect(after.context.unpersisted, where).toBeUndefined()
    expect(after.context.code, where).toBeUndefined()
    expect(after.context.error, where).toMatchObject({ _tag: "ReauthenticationRequired", reason: "Revoked" })
  }
  return { after, taken }
}

interface Coverage {
  readonly states: ReadonlySet<string>
  readonly allStates: ReadonlyArray<string>
  readonly transitions: ReadonlySet<string>
  readonly allTransitions: ReadonlyArray<string>
}

/**
 * Takes every step of the transition tour with the checks, and counts the states and transitions
 * taken: each input's initial snapshot, then every event from every reachable snapshot. (A path's
 * prefix is the path of an earlier snapshot, so this takes each path's steps without replaying them.)
 */
const coverageOf = (flow: Flow, exploration: Exploration): Coverage => {
  const names = candidatesOf(flow.machine)
  const states = new Set<string>()
  const transitions = new Set<string>()
  const count = (snapshot: Snap, taken: ReadonlyArray<Candidate>) => {
    for (const id of activeNodeIds(flow.machine, snapshot)) states.add(id)
    for (const candidate of taken) {
      // A state passed through within a step (checkingCallback) is entered, though never at rest.
      for (const target of candidate.target ?? []) states.add(target.id)
      const name = names.get(candidate)
      if (name === undefined) throw new Error(`${flow.name}: a transition outside the definition was taken`)
      transitions.add(name)
    }
  }
  for (const input of flow.inputs) {
    const { after, taken } = checkStart(flow, input)
    count(after, taken)
  }
  for (const { snapshot } of exploration.reachable) {
    for (const event of eventsFor(snapshot)) {
      const { after, taken } = checkStep(flow, snapshot, event)
      count(after, taken)
    }
  }
  return {
    states,
    allStates: stateNodesOf(flow.machine).map((node) => node.id),
    transitions,
    allTransitions: [...names.values()],
  }
}

describe("model-based paths", () => {
  for (const flow of flows) {
    describe(flow.name, () => {
      it("every path keeps the invariants, and the paths cover every state and transition", () => {
        const { paths, reachable } = explorationOf(flow)
        const { states, allStates, transitions, allTransitions } = coverageOf(flow, explorationOf(flow))
        const missed = allTransitions.filter((key) => !transitions.has(key))
        const reachableTransitions = allTransitions.length - flow.dead.length
        console.log(
          `model coverage ${flow.name}: states ${states.size}/${allStates.length}, ` +
            `transitions ${transitions.size}/${reachableTransitions} reachable ` +
            `(${allTransitions.length} defined${flow.dead.length === 0 ? "" : `; unreachable: ${flow.dead.join("; ")}`}); ` +
            `${reachable.length} snapshots, ${paths.length} paths`,
        )
        expect([...states].sort()).toEqual([...allStates].sort())
        expect(missed).toEqual(flow.dead)
        expect(allTransitions).toEqual(expect.arrayContaining([...flow.dead]))
      })

      it("@xstate/graph's shortest paths reach the same snapshots as the exploration", () => {
        const { reachable } = explorationOf(flow)
        const byGraph = new Set<string>()
        for (const input of flow.inputs) {
          const paths = getShortestPaths(flow.machine, {
            input,
            events: (snapshot) => eventsFor(snapshot as unknown as Snap) as never,
            serializeState: (snapshot) => serialize(snapshot as unknown as Snap),
          })
          for (const path of paths) {
            // Replaying the graph's path through the pure transition ends in the same snapshot.
            let [snapshot] = start(flow.machine, input)
            for (const { event } of path.steps.slice(1))
              snapshot = checkStep(flow, snapshot, event as never).after
            expect(serialize(snapshot)).toBe(serialize(path.state as unknown as Snap))
            byGraph.add(`${JSON.stringify(input)}|${serialize(snapshot)}`)
          }
        }
        const byExploration = reachable.map(
          ({ path, snapshot }) => `${JSON.stringify(path.input)}|${serialize(snapshot)}`,
        )
        expect([...byGraph].sort()).toEqual(byExploration.sort())
      })
    })
  }

  it("clientCredentials: its own grant always renews, so `valid` has no branch to a dead end", () => {
    const flow = flows[0]!
    // Holding a token without a refresh token, it still renews when due or refused: its grant
    // needs none.
    let [snapshot] = start(flow.machine, inputs.clientCredentials)
    ;[snapshot] = step(flow.machine, snapshot, { type: "ACCESS_TOKEN_REQUESTED", now: T0 })
    ;[snapshot] = step(flow.machine, snapshot, done("renew", saved(renewedClient)))
    expect(stateName(snapshot)).toBe("valid")
    expect(snapshot.context.credentials?.refreshToken).toBeUndefined()
    const [after] = step(flow.machine, snapshot, { type: "ACCESS_TOKEN_REQUESTED", now: nows.expired })
    expect(stateName(after)).toBe("renewing")
    const [on401] = step(flow.machine, snapshot, { type: "UNAUTHORIZED", accessToken: "renewed-at" })
    expect(stateName(on401)).toBe("renewing")
  })

  it("every actor a machine names fails, left unprovided, with a message that names it", async () => {
    const settle = () => new Promise((resolve) => setTimeout(resolve, 0))
    const messageOf = (error: unknown) => String((error as { message?: unknown } | undefined)?.message)
    // renew, then persist (renew's outcome was not saved), then revoke.
    const client = createActor(
      flowMachine("clientCredentials").provide({
        actors: { renew: fromPromise(async () => unsavedOutcome(renewedClient)) },
      } as never),
      { input: {} },
    ).start()
    client.send({ type: "ACCESS_TOKEN_REQUESTED", now: T0 })
    await settle()
    client.send({ type: "ACCESS_TOKEN_REQUESTED", now: T0 })
    await settle()
    expect(messageOf(client.getSnapshot().context.error)).toBe(
      "grantflow: the persist actor was not provided.",
    )
    client.send({ type: "REVOKE_REQUESTED" })
    await settle()
    expect(messageOf(client.getSnapshot().context.revokeFailure)).toBe(
      "grantflow: the revoke actor was not provided.",
    )
    const unprovided = createActor(flowMachine("clientCredentials"), { input: {} }).start()
    unprovided.send({ type: "ACCESS_TOKEN_REQUESTED", now: T0 })
    await settle()
    expect(messageOf(unprovided.getSnapshot().context.error)).toBe(
      "grantflow: the renew actor was not provided.",
    )
    const code = createActor(flowMachine("authorizationCode"), { input: inputs.authorizationCode }).start()
    code.send({ type: "CALLBACK_RECEIVED", callback: callbacks.good })
    await settle()
    expect(messageOf(code.getSnapshot().context.error)).toBe(
      "grantflow: the exchangeCode actor was not provided.",
    )
    const device = createActor(flowMachine("deviceAuthorization"), { input: {} }).start()
    await settle()
    expect(messageOf(device.getSnapshot().context.error)).toBe(
      "grantflow: the requestDeviceCode actor was not provided.",
    )
    for (const actor of [client, unprovided, code, device]) actor.stop()
  })

  it("authorizationCode: a good callback exchanges the code once, then forgets it", () => {
    const machine = flowMachine("authorizationCode")
    let [snapshot] = start(machine, inputs.authorizationCode)
    ;[snapshot] = step(machine, snapshot, { type: "CALLBACK_RECEIVED", callback: callbacks.good })
    expect(stateName(snapshot)).toBe("exchanging")
    const code = snapshot.context.code
    expect(code === undefined ? undefined : String(code)).not.toContain(goodCode)
    // A second callback while exchanging is ignored: one code, one exchange.
    const [again] = step(machine, snapshot, { type: "CALLBACK_RECEIVED", callback: callbacks.good })
    expect(again).toBe(snapshot)
    ;[snapshot] = step(machine, snapshot, done("exchangeCode", saved(exchanged)))
    expect(snapshot.hasTag("authorized")).toBe(true)
    expect(snapshot.context.code).toBeUndefined()
    expect(snapshot.context.renewAt).toBe(exchanged.credentials.expiresAt! - margin)
  })

  it("counts the root's `on` and `always`: unreachable ones there leave the coverage below 100%", () => {
    const saved = flows.find((flow) => flow.name === "savedCredentials")!
    // The saved credentials machine with two transitions no event can take, on the root.
    const never = () => false
    const machine = createMachine(
      {
        ...saved.machine.config,
        on: { CALLBACK_RECEIVED: { guard: never, target: ".failed" } },
        always: { guard: never, target: ".failed" },
      } as never,
      saved.machine.implementations as never,
    ) as unknown as FlowMachine
    const variant: Flow = { ...saved, machine }
    const { transitions, allTransitions } = coverageOf(variant, explore(variant))
    const missed = allTransitions.filter((key) => !transitions.has(key))
    expect(missed).toHaveLength(2)
    expect(missed.every((key) => key.startsWith("savedCredentials --"))).toBe(true)
    expect(missed.map((key) => key.split("#")[0])).toEqual([
      "savedCredentials --CALLBACK_RECEIVED",
      "savedCredentials --always",
    ])
    expect(transitions.size).toBeLessThan(allTransitions.length)
    // Everything else is still covered: the variant differs only by what cannot happen.
    expect(transitions.size).toBe(allTransitions.length - 2)
  })
})
