/**
 * Model-based tests of the flow machines. Each machine is explored breadth-first through XState's
 * pure `transition` with a small set of representative events (invoked actors are completed by
 * sending their done/error events by hand). Every (reachable state, event) pair becomes a test
 * path: the shortest path to the state, then the event. The paths are replayed from the initial
 * snapshot with assertions on every step, and the state nodes and transition candidates they take
 * are compared with what the machine definition declares.
 */
import { getShortestPaths } from "@xstate/graph"
import * as Redacted from "effect/Redacted"
import { describe, expect, it } from "vitest"
import type { LifecycleInput, Obtained } from "../../src/machines/index.js"
import { canRenew, renewAtOf } from "../../src/machines/index.js"
import {
  activeNodeIds,
  callbacks,
  done,
  errors,
  type FlowEvent,
  type FlowMachine,
  type FlowName,
  fail,
  flowMachine,
  goodCode,
  inputs,
  invokedIn,
  margin,
  nows,
  obtained,
  runningActors,
  type Snap,
  selected,
  start,
  stateName,
  stateNodesOf,
  step,
  tagOf,
  transitionKey,
  transitionKeysOf,
} from "./fixtures.js"

const renewedWithRefresh = obtained("renewed-at", "renewed-rt")
const renewedClient = obtained("renewed-at")
const exchanged = obtained("exchanged-at", "exchanged-rt")
const exchangedNoRefresh = obtained("exchanged-at-without-rt")
const unsaved = obtained("unsaved-at", "unsaved-rt")
const replaced = obtained("replaced-at")

/** The representative events tried in a snapshot; actor events only for the actors running in it. */
const eventsFor = (snapshot: Snap): ReadonlyArray<FlowEvent> => {
  const current = snapshot.context.credentials?.accessToken
  const events: Array<FlowEvent> = [
    { type: "ACCESS_TOKEN_REQUESTED", now: nows.early },
    { type: "ACCESS_TOKEN_REQUESTED", now: nows.inMargin },
    { type: "ACCESS_TOKEN_REQUESTED", now: nows.expired },
    { type: "UNAUTHORIZED", accessToken: "a-stale-token" },
    ...(current === undefined ? [] : [{ type: "UNAUTHORIZED", accessToken: current } as const]),
    { type: "CALLBACK_RECEIVED", callback: callbacks.good },
    { type: "CALLBACK_RECEIVED", callback: callbacks.wrongState },
    { type: "CALLBACK_RECEIVED", callback: callbacks.wrongIss },
    { type: "CALLBACK_RECEIVED", callback: callbacks.denied },
    { type: "CREDENTIALS_REPLACED", obtained: replaced },
    { type: "REVOKE_REQUESTED" },
  ]
  const anyError = (actor: "renew" | "persist" | "exchangeCode") => [
    fail(actor, errors.reauthentication()),
    fail(actor, errors.unsaved(unsaved)),
    fail(actor, errors.oauth()),
    fail(actor, errors.transport()),
  ]
  for (const actor of runningActors(snapshot)) {
    if (actor === "renew") {
      const output = snapshot.context.renewsWith === "client_credentials" ? renewedClient : renewedWithRefresh
      events.push(done("renew", output), ...anyError("renew"))
    } else if (actor === "persist") {
      events.push(done("persist", undefined), ...anyError("persist"))
    } else if (actor === "exchangeCode") {
      events.push(done("exchangeCode", exchanged), done("exchangeCode", exchangedNoRefresh))
      events.push(...anyError("exchangeCode"))
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
  ])
}

interface Flow {
  readonly name: FlowName
  readonly machine: FlowMachine
  readonly inputs: ReadonlyArray<LifecycleInput>
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
    inputs: [inputs.savedCredentials, inputs.savedCredentialsNoRefresh],
    dead: [],
  },
  { name: "staticToken", machine: flowMachine("staticToken"), inputs: [inputs.staticToken], dead: [] },
]

interface Path {
  readonly input: LifecycleInput
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

const explorations = new Map(flows.map((flow) => [flow.name, explore(flow)] as const))
const explorationOf = (flow: Flow): Exploration => explorations.get(flow.name)!

const isActorDone = (
  event: FlowEvent,
  actor: string,
): event is FlowEvent & { readonly type: `xstate.done.actor.${string}`; readonly output: Obtained } =>
  event.type === `xstate.done.actor.${actor}`

/**
 * Checks one step: the snapshot invariants, and what the taken transition must have done. Returns
 * the keys of the transitions taken.
 */
const checkStep = (flow: Flow, before: Snap, event: FlowEvent): { after: Snap; taken: Array<string> } => {
  const taken = selected(flow.machine, before, event).map((definition) => transitionKey(definition as never))
  const [after] = step(flow.machine, before, event)
  const from = stateName(before)
  const to = stateName(after)
  const where = `${flow.name}: ${from} --${event.type}--> ${to}`

  // Never authorized without an access token.
  if (after.hasTag("authorized")) {
    expect(after.context.credentials?.accessToken, where).toEqual(expect.stringMatching(/.+/))
  }
  // An invoking state runs exactly its own actor; no other state runs any.
  expect(runningActors(after), where).toEqual(invokedIn[to] === undefined ? [] : [invokedIn[to]])
  expect(after.hasTag("busy"), where).toBe(invokedIn[to] !== undefined)
  // Nothing changes once the machine is done, and an event nobody handles changes nothing.
  if (before.status === "done" || taken.length === 0) expect(after, where).toBe(before)
  expect(taken.length, where).toBeLessThanOrEqual(1)
  // Final states are exactly the ends of the flows.
  expect(after.status === "done", where).toBe(to === "reauthenticationRequired" || to === "rejected")
  if (after.status === "done") {
    expect(after.hasTag("authorized"), where).toBe(false)
    if (to === "reauthenticationRequired")
      expect(tagOf(after.context.error), where).toBe("ReauthenticationRequired")
  }

  // A token request from a usable token: served, renewed, or ended, by the clock and canRenew.
  if (event.type === "ACCESS_TOKEN_REQUESTED" && from === "valid") {
    const renewable = canRenew(before.context)
    const expected =
      event.now === nows.early
        ? "valid"
        : renewable
          ? "renewing"
          : event.now === nows.inMargin
            ? "valid"
            : flow.name === "staticToken"
              ? "expired"
              : "reauthenticationRequired"
    expect(to, where).toBe(expected)
  }
  if (taken.length === 0) return { after, taken }

  // Obtained credentials are adopted whole, with the renewal time derived from them.
  if (isActorDone(event, "renew") || isActorDone(event, "exchangeCode")) {
    expect(to, where).toBe("valid")
    expect(after.context.credentials, where).toBe(event.output.credentials)
    expect(after.context.renewAt, where).toBe(renewAtOf(event.output, after.context.marginMs))
    expect(after.context.unpersisted, where).toBeUndefined()
    expect(after.context.error, where).toBeUndefined()
    expect(after.context.code, where).toBeUndefined()
  }
  if (isActorDone(event, "persist")) {
    expect(to, where).toBe("valid")
    expect(after.context.credentials, where).toBe(before.context.unpersisted?.credentials)
    expect(after.context.unpersisted, where).toBeUndefined()
  }
  if (event.type.startsWith("xstate.error.actor.")) {
    const error = (event as { error: unknown }).error
    if (event.type === "xstate.error.actor.revoke") expect(after.context.revokeFailure, where).toBe(error)
    else if (from === "persisting") expect(after.context.unpersisted, where).toBe(before.context.unpersisted)
    else if (tagOf(error) === "PersistenceError") {
      // Credentials obtained but not saved are kept, to be saved before anything else happens.
      expect(to, where).toBe("failed")
      expect(after.context.unpersisted, where).toBe(unsaved)
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
  // Revocation forgets everything local, whatever the server answered.
  if (from === "revoking" || (flow.name === "staticToken" && event.type === "REVOKE_REQUESTED")) {
    expect(to, where).toBe("reauthenticationRequired")
    expect(after.context.credentials, where).toBeUndefined()
    expect(after.context.unpersisted, where).toBeUndefined()
    expect(after.context.code, where).toBeUndefined()
    expect(after.context.error, where).toMatchObject({ _tag: "ReauthenticationRequired", reason: "Revoked" })
  }
  if (event.type === "UNAUTHORIZED" && from === "valid") {
    expect(to, where).toBe("renewing")
    expect(event.accessToken, where).toBe(before.context.credentials?.accessToken)
  }
  return { after, taken }
}

describe("model-based paths", () => {
  for (const flow of flows) {
    describe(flow.name, () => {
      it("every path keeps the invariants, and the paths cover every state and transition", () => {
        const { paths, reachable } = explorationOf(flow)
        const states = new Set<string>()
        const transitions = new Set<string>()
        for (const path of paths) {
          let [snapshot] = start(flow.machine, path.input)
          for (const id of activeNodeIds(flow.machine, snapshot)) states.add(id)
          for (const event of path.events) {
            const { after, taken } = checkStep(flow, snapshot, event)
            for (const key of taken) transitions.add(key)
            if (after !== snapshot) for (const id of activeNodeIds(flow.machine, after)) states.add(id)
            snapshot = after
          }
        }
        const allStates = stateNodesOf(flow.machine).map((node) => node.id)
        const allTransitions = transitionKeysOf(flow.machine)
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
    for (const { snapshot } of explorationOf(flow).reachable) {
      expect(snapshot.context.renewsWith).toBe("client_credentials")
      expect(canRenew(snapshot.context)).toBe(true)
    }
    // Whatever the input says, the machine forces the client_credentials grant.
    const [snapshot] = start(flow.machine, { renewsWith: "none", obtained: obtained("x") })
    expect(canRenew(snapshot.context)).toBe(true)
    const [after] = step(flow.machine, snapshot, { type: "ACCESS_TOKEN_REQUESTED", now: nows.expired })
    expect(stateName(after)).toBe("renewing")
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
    ;[snapshot] = step(machine, snapshot, done("exchangeCode", exchanged))
    expect(snapshot.hasTag("authorized")).toBe(true)
    expect(snapshot.context.code).toBeUndefined()
    expect(snapshot.context.renewAt).toBe(exchanged.credentials.expiresAt! - margin)
  })
})
