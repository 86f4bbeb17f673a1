/**
 * Property tests: random event sequences through the pure `transition` of every flow machine, with
 * the DESIGN.md invariants checked after every step. Invoked actors are never started; the test
 * plays them, completing whichever is running with done/error events built the way the runtime
 * builds them (renewal outputs come from `toObtained`, which keeps the previous refresh token
 * when a refresh response omits one; a failed save is an `Unsaved` outcome). Completions of actors that are not running are sent too:
 * the machine must ignore them. Errors go only to the running actor: XState puts a machine in
 * status "error" when an `xstate.error.actor.*` event finds no transition, and a real actor cannot
 * fail once it has been stopped.
 */
import * as Redacted from "effect/Redacted"
import * as fc from "fast-check"
import { describe, expect, it } from "vitest"
import { toObtained } from "../../src/internal/flowEffects.js"
import type { Held, Outcome } from "../../src/machines/index.js"
import type { TokenResponse } from "../../src/TokenResponse.js"
import {
  type ActorId,
  actorIds,
  callbacks,
  done,
  errors,
  expectation,
  type FlowEvent,
  type FlowInput,
  type FlowMachine,
  type FlowName,
  fail,
  flowMachine,
  goodCode,
  goodState,
  heldOf,
  hour,
  inputs,
  issuer,
  nows,
  obtained,
  requestActors,
  runningActors,
  type Snap,
  saved,
  start,
  stateName,
  step,
  T0,
  unsaved as unsavedOutcome,
} from "./fixtures.js"

// ---------------------------------------------------------------------------------------------
// Commands: what the test does next, resolved against the snapshot (an actor's output depends on
// the input the machine gave it, an UNAUTHORIZED may name the current token).
// ---------------------------------------------------------------------------------------------

interface ResponseSpec {
  readonly accessToken: string
  readonly refreshToken: string | undefined
  readonly expiresIn: number | undefined
}

type ErrorSpec = "reauthentication" | "unsaved" | "oauth" | "transport"

type Command =
  | { readonly kind: "request"; readonly now: number }
  | { readonly kind: "unauthorized"; readonly current: boolean; readonly token: string }
  | { readonly kind: "callback"; readonly callback: string | URL | URLSearchParams }
  | { readonly kind: "replace"; readonly accessToken: string; readonly expiresAt: number | undefined }
  | { readonly kind: "revoke" }
  | { readonly kind: "done"; readonly actor: ActorChoice; readonly response: ResponseSpec }
  | {
      readonly kind: "error"
      readonly actor: ActorChoice
      readonly error: ErrorSpec
      readonly response: ResponseSpec
    }

/** An actor by name, or whichever is running (so that runs make progress). */
type ActorChoice = ActorId | "running"

const responseArb: fc.Arbitrary<ResponseSpec> = fc.record({
  accessToken: fc.string({ minLength: 1, maxLength: 8 }).map((s) => `at-${s}`),
  refreshToken: fc.option(
    fc.string({ maxLength: 6 }).map((s) => `rt-${s}`),
    { nil: undefined },
  ),
  expiresIn: fc.option(fc.constantFrom(1, 30, 60, 90, 3600), { nil: undefined }),
})

const nowArb = fc.oneof(
  fc.constantFrom(nows.early, nows.inMargin, nows.expired),
  fc.integer({ min: T0 - hour, max: T0 + 3 * hour }),
)

const actorArb: fc.Arbitrary<ActorChoice> = fc.oneof(
  { weight: 4, arbitrary: fc.constant("running" as const) },
  { weight: 1, arbitrary: fc.constantFrom(...actorIds) },
)

const actorOf = (choice: ActorChoice, snapshot: Snap): ActorId =>
  choice === "running" ? ((runningActors(snapshot)[0] as ActorId | undefined) ?? "renew") : choice

const baseCommandArb = (callbackArb: fc.Arbitrary<string | URL | URLSearchParams>): fc.Arbitrary<Command> =>
  fc.oneof(
    { weight: 6, arbitrary: nowArb.map((now) => ({ kind: "request", now }) as const) },
    {
      weight: 2,
      arbitrary: fc
        .record({ current: fc.boolean(), token: fc.string({ maxLength: 6 }) })
        .map((r) => ({ kind: "unauthorized", ...r }) as const),
    },
    { weight: 2, arbitrary: callbackArb.map((callback) => ({ kind: "callback", callback }) as const) },
    {
      weight: 1,
      arbitrary: fc
        .record({
          // Empty replacements included: they must be ignored, never adopted.
          accessToken: fc.oneof(fc.constant(""), fc.string({ minLength: 1, maxLength: 6 })),
          expiresAt: fc.option(fc.integer({ min: T0, max: T0 + 2 * hour }), { nil: undefined }),
        })
        .map((r) => ({ kind: "replace", ...r }) as const),
    },
    { weight: 1, arbitrary: fc.constant({ kind: "revoke" } as const) },
    {
      weight: 5,
      arbitrary: fc
        .record({ actor: actorArb, response: responseArb })
        .map((r) => ({ kind: "done", ...r }) as const),
    },
    {
      weight: 4,
      arbitrary: fc
        .record({
          actor: actorArb,
          error: fc.constantFrom<ErrorSpec>(
            "unsaved",
            "unsaved",
            "unsaved",
            "transport",
            "transport",
            "oauth",
            "reauthentication",
          ),
          response: responseArb,
        })
        .map((r) => ({ kind: "error", ...r }) as const),
    },
  )

/** What the spawn action of each running actor was given, recorded when it was started. */
type Inputs = Partial<Record<ActorId, unknown>>

const tokenResponse = (spec: ResponseSpec, receivedAt: number): TokenResponse => ({
  accessToken: Redacted.make(spec.accessToken),
  tokenType: "Bearer",
  ...(spec.refreshToken === undefined ? {} : { refreshToken: Redacted.make(spec.refreshToken) }),
  ...(spec.expiresIn === undefined ? {} : { expiresIn: spec.expiresIn }),
  receivedAt,
})

/** The credentials an actor obtained, as the runtime builds them from the actor's input. */
const obtainedBy = (actor: ActorId, spec: ResponseSpec, started: Inputs, snapshot: Snap): Held => {
  if (actor === "persist" && snapshot.context.unpersisted !== undefined) return snapshot.context.unpersisted
  const base =
    actor === "renew"
      ? (started.renew as { readonly credentials?: Held["credentials"] } | undefined)?.credentials
      : undefined
  return heldOf(toObtained(tokenResponse(spec, T0), base, []))
}

const resolve = (command: Command, snapshot: Snap, started: Inputs): FlowEvent => {
  switch (command.kind) {
    case "request":
      return { type: "ACCESS_TOKEN_REQUESTED", now: command.now }
    case "unauthorized":
      return {
        type: "UNAUTHORIZED",
        accessToken: command.current
          ? (snapshot.context.credentials?.accessToken ?? command.token)
          : command.token,
      }
    case "callback":
      return { type: "CALLBACK_RECEIVED", callback: command.callback }
    case "replace":
      return {
        type: "CREDENTIALS_REPLACED",
        held: {
          credentials: {
            accessToken: command.accessToken,
            tokenType: "Bearer",
            scopes: [],
            ...(command.expiresAt === undefined ? {} : { expiresAt: command.expiresAt }),
          },
          obtainedAt: T0,
          renewAt: command.expiresAt,
        },
      }
    case "revoke":
      return { type: "REVOKE_REQUESTED" }
    case "done": {
      const actor = actorOf(command.actor, snapshot)
      const obtained = obtainedBy(actor, command.response, started, snapshot)
      return done(
        actor,
        actor === "renew" || actor === "exchangeCode"
          ? saved(obtained)
          : actor === "persist"
            ? obtained
            : undefined,
      )
    }
    case "error": {
      const actor = actorOf(command.actor, snapshot)
      // A token request that got credentials but could not save them resolves with them.
      if (command.error === "unsaved" && (actor === "renew" || actor === "exchangeCode"))
        return done(actor, unsavedOutcome(obtainedBy(actor, command.response, started, snapshot)))
      const error =
        command.error === "unsaved"
          ? actor === "persist"
            ? errors.persistence()
            : errors.transport()
          : errors[command.error]()
      return fail(actor, error)
    }
  }
}

// ---------------------------------------------------------------------------------------------
// Hostile callbacks
// ---------------------------------------------------------------------------------------------

const nearMiss = (expected: string): fc.Arbitrary<string> =>
  fc.oneof(
    fc.constant(expected.slice(0, -1)),
    fc.constant(`${expected}x`),
    fc.constant(expected.toUpperCase()),
    fc.constant(expected.toLowerCase()),
    fc.constant(` ${expected}`),
    fc.constant(`${expected}\u0000`),
    fc.constant(expected.repeat(2)),
    fc.constant(""),
    fc
      .record({ at: fc.nat({ max: expected.length - 1 }), char: fc.string({ minLength: 1, maxLength: 1 }) })
      .map(({ at, char }) => expected.slice(0, at) + char + expected.slice(at + 1)),
    fc.string({ maxLength: 60 }),
  )

/** Zero, one or two values for a parameter: the expected one, a near miss, or garbage. */
const valuesOf = (expected: string): fc.Arbitrary<ReadonlyArray<string>> =>
  fc.oneof(
    { weight: 4, arbitrary: fc.constant([expected]) },
    { weight: 3, arbitrary: nearMiss(expected).map((v) => [v]) },
    { weight: 1, arbitrary: fc.constant([]) },
    {
      weight: 2,
      arbitrary: fc.tuple(fc.oneof(fc.constant(expected), nearMiss(expected)), nearMiss(expected)),
    },
    { weight: 1, arbitrary: fc.constant([expected, expected]) },
  )

const pairsArb: fc.Arbitrary<ReadonlyArray<readonly [string, string]>> = fc
  .record({
    state: valuesOf(goodState),
    iss: fc.oneof(
      valuesOf(issuer),
      fc.constantFrom<ReadonlyArray<string>>(
        [`${issuer}/`],
        ["https://evil.example.test"],
        [issuer.toUpperCase()],
      ),
    ),
    code: fc.oneof(
      { weight: 5, arbitrary: fc.constant<ReadonlyArray<string>>([goodCode]) },
      { weight: 1, arbitrary: valuesOf(goodCode) },
      // An empty code is common enough in the wild to be drawn often, not by chance.
      { weight: 1, arbitrary: fc.constant<ReadonlyArray<string>>([""]) },
    ),
    error: fc.oneof(
      { weight: 6, arbitrary: fc.constant<ReadonlyArray<string>>([]) },
      {
        weight: 1,
        arbitrary: fc.constantFrom<ReadonlyArray<string>>(["access_denied"], ["server_error"], [""]),
      },
    ),
    extra: fc.array(fc.tuple(fc.string({ maxLength: 5 }), fc.string({ maxLength: 5 })), { maxLength: 2 }),
  })
  .chain(({ state, iss, code, error, extra }) => {
    const pairs: Array<readonly [string, string]> = [
      ...state.map((v) => ["state", v] as const),
      ...iss.map((v) => ["iss", v] as const),
      ...code.map((v) => ["code", v] as const),
      ...error.map((v) => ["error", v] as const),
      ...extra,
    ]
    return fc.shuffledSubarray(pairs, { minLength: pairs.length, maxLength: pairs.length })
  })

const encoded = (pairs: ReadonlyArray<readonly [string, string]>) =>
  new URLSearchParams(pairs.map(([k, v]) => [k, v])).toString()
// Unencoded: values may smuggle `&`, `=`, `#` or `%` into the query.
const raw = (pairs: ReadonlyArray<readonly [string, string]>) => pairs.map(([k, v]) => `${k}=${v}`).join("&")

const hostileCallbackArb: fc.Arbitrary<string | URL | URLSearchParams> = fc.oneof(
  pairsArb.map((pairs) => `/callback?${encoded(pairs)}`),
  pairsArb.map((pairs) => `https://app.example.test/callback?${raw(pairs)}`),
  pairsArb.map((pairs) => `/callback?${raw(pairs)}#state=${goodState}&iss=${issuer}`),
  pairsArb.map((pairs) => new URL(`https://app.example.test/callback?${encoded(pairs)}`)),
  pairsArb.map((pairs) => new URLSearchParams(pairs.map(([k, v]) => [k, v]))),
  fc.string({ maxLength: 80 }),
  fc.constantFrom(callbacks.good, callbacks.wrongState, callbacks.wrongIss, callbacks.denied),
)

/** The test's own reading of a callback's query (what "the state" and "the iss" of it are). */
const queryOf = (callback: string | URL | URLSearchParams): URLSearchParams | undefined => {
  if (callback instanceof URLSearchParams) return callback
  if (callback instanceof URL) return callback.searchParams
  try {
    return new URL(callback, "http://callback.invalid").searchParams
  } catch {
    return undefined
  }
}

/** True only when the callback carries exactly one `state`, equal to the pending one, and one `iss`, the issuer's. */
const stateAndIssMatch = (callback: string | URL | URLSearchParams): boolean => {
  const query = queryOf(callback)
  if (query === undefined) return false
  const states = query.getAll("state")
  const isses = query.getAll("iss")
  return states.length === 1 && states[0] === goodState && isses.length === 1 && isses[0] === issuer
}

/** True when the callback is a clean success response for the pending login. */
const acceptable = (callback: string | URL | URLSearchParams): boolean => {
  const query = queryOf(callback)
  if (query === undefined || !stateAndIssMatch(callback)) return false
  const names = [...query.keys()]
  const codes = query.getAll("code")
  return (
    new Set(names).size === names.length &&
    !query.has("error") &&
    codes.length === 1 &&
    codes[0] !== "" &&
    codes[0] !== undefined
  )
}

// ---------------------------------------------------------------------------------------------
// The invariants, checked after every step
// ---------------------------------------------------------------------------------------------

interface Model {
  /** Token requests started and not finished (renew, exchangeCode, persist). */
  outstanding: number
  /** The input each running actor was started with. */
  started: Inputs
  /** Set once credentials with a refresh token were adopted. */
  heldRefreshToken: boolean
  /** Credentials a failed save handed to the machine, until adopted or revoked. */
  unsaved: Held | undefined
  requests: number
}

/** The credentials an `Unsaved` outcome hands to the machine. */
const unsavedOf = (event: FlowEvent): Held | undefined => {
  if (!("output" in event)) return undefined
  const output = event.output as Outcome | undefined
  return output?._tag === "Unsaved" ? output.held : undefined
}

const isRequestActor = (id: string): boolean => (requestActors as ReadonlyArray<string>).includes(id)

const spawnsOf = (actions: ReadonlyArray<{ type: string; params?: unknown }>) =>
  actions
    .filter((action) => action.type === "xstate.spawnChild")
    .map((action) => action.params as { readonly id: ActorId; readonly input: unknown })

const checkStep = (
  name: FlowName,
  model: Model,
  before: Snap,
  event: FlowEvent,
  after: Snap,
  actions: ReadonlyArray<{ type: string; params?: unknown }>,
): void => {
  const where = `${name}: ${stateName(before)} --${event.type}--> ${stateName(after)}`
  const context = after.context

  // 1. Never authorized without an access token.
  if (after.hasTag("authorized")) {
    expect(typeof context.credentials?.accessToken, where).toBe("string")
    expect(context.credentials?.accessToken.length, where).toBeGreaterThan(0)
  }

  // 2. Never two token requests in flight.
  const requestChildren = runningActors(after).filter(isRequestActor)
  expect(requestChildren.length, where).toBeLessThanOrEqual(1)
  expect(runningActors(after).length, where).toBeLessThanOrEqual(1)
  const spawned = spawnsOf(actions)
  expect(spawned.length, where).toBeLessThanOrEqual(1)
  const finished = runningActors(before).filter(
    (id) => isRequestActor(id) && after.children[id] !== before.children[id],
  )
  for (const id of finished) {
    // A request ends only by its own completion.
    expect([`xstate.done.actor.${id}`, `xstate.error.actor.${id}`], where).toContain(event.type)
    delete model.started[id as ActorId]
  }
  model.outstanding -= finished.length
  for (const spawn of spawned) {
    model.started[spawn.id] = spawn.input
    if (isRequestActor(spawn.id)) {
      model.outstanding += 1
      model.requests += 1
    }
  }
  expect(model.outstanding, where).toBeLessThanOrEqual(1)
  expect(model.outstanding, where).toBe(requestChildren.length)

  // 3a. Credentials a failed save handed over are kept (as `unpersisted`) until they are adopted
  // (saved by `persist`, then used) or revoked together with the rest; nothing else drops them.
  const carried = unsavedOf(event)
  if (carried !== undefined && after !== before) {
    expect(context.unpersisted, `${where}: the unsaved credentials are kept`).toBe(carried)
    model.unsaved = carried
  } else if (model.unsaved !== undefined) {
    const adopted =
      stateName(after) === "valid" &&
      context.credentials === model.unsaved.credentials &&
      context.unpersisted === undefined
    const revoked = stateName(before) === "revoking" && stateName(after) === "reauthenticationRequired"
    if (adopted || revoked) model.unsaved = undefined
    else expect(context.unpersisted, `${where}: unsaved credentials dropped`).toBe(model.unsaved)
  }
  if (spawned[0]?.id === "revoke" && before.context.unpersisted !== undefined) {
    // The newest credentials are the ones revoked, saved or not.
    expect(spawned[0].input, where).toEqual({ credentials: before.context.unpersisted.credentials })
  }

  // 3b. Given renewal outputs built as the runtime builds them, once the machine holds credentials
  // with a refresh token, every later active snapshot holds credentials with a refresh token: only
  // the final states (revoked, reauthentication required) may lose it.
  if (model.heldRefreshToken && after.status === "active") {
    expect(context.credentials?.refreshToken, `${where}: the refresh token was lost`).toBeDefined()
  }
  if (context.credentials?.refreshToken !== undefined) model.heldRefreshToken = true
  // A renewal's result is adopted as it is: its refresh token (merged by the runtime) is the one held.
  if (event.type === "xstate.done.actor.renew" && after !== before) {
    const output = (event as { output: Outcome }).output
    const held = output._tag === "Saved" ? context.credentials : context.unpersisted?.credentials
    expect(held?.refreshToken, where).toBe(output.held.credentials.refreshToken)
  }

  // Every event the machine can meet is handled or ignored, never a machine error.
  expect(after.status, where).not.toBe("error")

  // 4. Nothing after the end; completions of actors that are not running change nothing.
  if (before.status === "done") expect(after, where).toBe(before)
  if (
    event.type.startsWith("xstate.") &&
    !runningActors(before).some((id) => event.type.endsWith(`.${id}`))
  ) {
    expect(after, where).toBe(before)
  }

  // 5. A callback whose state or iss does not match never reaches the token endpoint.
  if (event.type === "CALLBACK_RECEIVED") {
    if (!stateAndIssMatch(event.callback)) {
      // It neither starts an exchange nor touches one under way.
      if (stateName(before) !== "exchanging") {
        expect(stateName(after), where).not.toBe("exchanging")
        expect(after.children.exchangeCode, where).toBeUndefined()
      }
      expect(
        spawned.some((spawn) => spawn.id === "exchangeCode"),
        where,
      ).toBe(false)
      expect(after.children.exchangeCode, where).toBe(before.children.exchangeCode)
      expect(context.code, where).toBe(before.context.code)
    }
    if (stateName(after) === "exchanging" && stateName(before) !== "exchanging") {
      expect(acceptable(event.callback), where).toBe(true)
    }
  }
}

const newModel = (): Model => ({
  outstanding: 0,
  started: {},
  heldRefreshToken: false,
  unsaved: undefined,
  requests: 0,
})

const run = (machine: FlowMachine, name: FlowName, input: FlowInput, commands: ReadonlyArray<Command>) => {
  const model = newModel()
  let [snapshot, actions] = start(machine, input)
  expect(spawnsOf(actions)).toEqual([])
  if (snapshot.context.credentials?.refreshToken !== undefined) model.heldRefreshToken = true
  const visited = new Set([stateName(snapshot)])
  for (const command of commands) {
    const event = resolve(command, snapshot, model.started)
    // An error event nobody handles puts an XState machine in status "error"; a real actor can only
    // fail while it runs, so error events go only to the actor that is running.
    if (command.kind === "error" && !runningActors(snapshot).includes(actorOf(command.actor, snapshot)))
      continue
    const [after, stepActions] = step(machine, snapshot, event)
    checkStep(name, model, snapshot, event, after, stepActions)
    snapshot = after
    visited.add(stateName(snapshot))
  }
  return { model, visited, snapshot }
}

interface Flow {
  readonly name: FlowName
  readonly inputs: ReadonlyArray<FlowInput>
  readonly callbacks: fc.Arbitrary<string | URL | URLSearchParams>
  /** States random runs must reach, so the property is not vacuous. */
  readonly mustVisit: ReadonlyArray<string>
}

const flows: ReadonlyArray<Flow> = [
  {
    name: "clientCredentials",
    inputs: [inputs.clientCredentials],
    callbacks: fc.constant(callbacks.good),
    mustVisit: ["idle", "renewing", "valid", "failed", "persisting", "revoking", "reauthenticationRequired"],
  },
  {
    name: "authorizationCode",
    inputs: [inputs.authorizationCode],
    // Mostly the good callback, so that runs get past the exchange.
    callbacks: fc.oneof({ weight: 3, arbitrary: fc.constant(callbacks.good) }, hostileCallbackArb),
    mustVisit: [
      "awaitingCallback",
      "exchanging",
      "rejected",
      "valid",
      "renewing",
      "failed",
      "persisting",
      "revoking",
      "reauthenticationRequired",
    ],
  },
  {
    name: "savedCredentials",
    inputs: [inputs.savedCredentials, inputs.savedCredentialsNoRefresh],
    callbacks: fc.constant(callbacks.good),
    mustVisit: ["valid", "renewing", "failed", "persisting", "revoking", "reauthenticationRequired"],
  },
  {
    name: "staticToken",
    inputs: [
      inputs.staticToken,
      {
        obtained: {
          credentials: { accessToken: "no-expiry", tokenType: "Bearer", scopes: [] },
          obtainedAt: T0,
          renewAt: undefined,
        },
      },
    ],
    callbacks: fc.constant(callbacks.good),
    mustVisit: ["valid", "expired", "reauthenticationRequired"],
  },
]

describe("machine properties over random event sequences", () => {
  for (const flow of flows) {
    it(`${flow.name}: the invariants hold after every step`, () => {
      const machine = flowMachine(flow.name)
      const visited = new Set<string>()
      let requests = 0
      fc.assert(
        fc.property(
          // The first input is the richer one: it is drawn three times out of four.
          fc.oneof(
            { weight: 3, arbitrary: fc.constant(flow.inputs[0]!) },
            { weight: 1, arbitrary: fc.constantFrom(...flow.inputs) },
          ),
          fc.array(baseCommandArb(flow.callbacks), { minLength: 1, maxLength: 40, size: "max" }),
          (input, commands) => {
            const result = run(machine, flow.name, input, commands)
            for (const state of result.visited) visited.add(state)
            requests += result.model.requests
          },
        ),
        { numRuns: 300 },
      )
      expect([...visited]).toEqual(expect.arrayContaining([...flow.mustVisit]))
      if (flow.name !== "staticToken") expect(requests).toBeGreaterThan(0)
      // 300 runs of CPU-bound exploration: room for a machine shared with other builds.
    }, 60_000)
  }

  it("authorizationCode: a callback whose state or iss does not match never reaches exchanging", () => {
    const machine = flowMachine("authorizationCode")
    const [initial] = start(machine, inputs.authorizationCode)
    let accepted = 0
    let refused = 0
    fc.assert(
      fc.property(hostileCallbackArb, (callback) => {
        const [after, actions] = step(machine, initial, { type: "CALLBACK_RECEIVED", callback })
        const exchanging = stateName(after) === "exchanging"
        if (!stateAndIssMatch(callback)) {
          expect(exchanging).toBe(false)
          expect(after.children.exchangeCode).toBeUndefined()
          expect(spawnsOf(actions)).toEqual([])
          expect(after.context.code).toBeUndefined()
          expect(stateName(after)).toBe("rejected")
          expect(after.context.error).toBeDefined()
        }
        // And the clean ones are accepted: the check is not refusing everything.
        expect(exchanging).toBe(acceptable(callback))
        if (exchanging) {
          accepted += 1
          expect(spawnsOf(actions).map((spawn) => [spawn.id, spawn.input])).toEqual([
            ["exchangeCode", { code: after.context.code }],
          ])
          expect(Redacted.value(after.context.code!)).toBe(queryOf(callback)?.get("code"))
        } else refused += 1
      }),
      { numRuns: 1_000 },
    )
    expect(accepted).toBeGreaterThan(10)
    expect(refused).toBeGreaterThan(100)
  })

  it("authorizationCode: no state without an expectation accepts a callback", () => {
    const machine = flowMachine("authorizationCode")
    // Untyped as embedders' JavaScript may be: the input lacks what the machine requires.
    const [initial] = start(machine, {} as never)
    fc.assert(
      fc.property(hostileCallbackArb, (callback) => {
        const [after] = step(machine, initial, { type: "CALLBACK_RECEIVED", callback })
        expect(stateName(after)).toBe("rejected")
      }),
      { numRuns: 100 },
    )
  })

  it("toObtained keeps the previous refresh token when a refresh response omits one", () => {
    fc.assert(
      fc.property(
        responseArb,
        fc.option(fc.string({ minLength: 1 }), { nil: undefined }),
        (spec, previous) => {
          const base = previous === undefined ? undefined : { ...obtained("old", previous).credentials }
          const next = toObtained(tokenResponse(spec, T0), base, [])
          expect(next.credentials.refreshToken).toBe(spec.refreshToken ?? previous)
          expect(next.credentials.accessToken).toBe(spec.accessToken)
        },
      ),
      { numRuns: 200 },
    )
  })

  it("the hostile callbacks include the ones the expectation is about", () => {
    expect(stateAndIssMatch(callbacks.good)).toBe(true)
    expect(acceptable(callbacks.good)).toBe(true)
    expect(stateAndIssMatch(callbacks.wrongState)).toBe(false)
    expect(stateAndIssMatch(callbacks.wrongIss)).toBe(false)
    expect(acceptable(callbacks.denied)).toBe(false)
    // The fixture's callbacks are built on what the expectation asks for, not on themselves.
    expect(queryOf(callbacks.good)?.get("state")).toBe(expectation.pending.state)
    expect(queryOf(callbacks.good)?.get("iss")).toBe(expectation.provider.issuer)
    expect(queryOf(callbacks.wrongState)?.get("state")).not.toBe(expectation.pending.state)
  })
})
