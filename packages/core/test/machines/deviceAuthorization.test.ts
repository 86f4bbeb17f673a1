import * as Redacted from "effect/Redacted"
import { describe, expect, it } from "vitest"
import { createActor, fromPromise, SimulatedClock } from "xstate"
import { AuthorizationDenied, DeviceCodeExpired, machines, OAuthError } from "../../src/index.js"
import type { DeviceCode, Outcome } from "../../src/machines/index.js"

const device: DeviceCode = {
  deviceCode: Redacted.make("device-code"),
  userCode: "ABCD-EFGH",
  verificationUri: "https://as.example/device",
  expiresAt: 600_000,
  intervalMs: 5000,
}
const obtained: Outcome = {
  _tag: "Saved",
  held: {
    credentials: {
      accessToken: "at",
      tokenType: "Bearer",
      scopes: [],
      expiresAt: 3_600_000,
      refreshToken: "rt",
    },
    obtainedAt: 0,
    renewAt: 3_540_000,
  },
}
const oauth = (error: string) => new OAuthError({ endpoint: "token", error, status: 400 })

/** Runs the machine on a simulated clock with polls answered in turn by `answers`. */
const run = (answers: ReadonlyArray<unknown>) => {
  const clock = new SimulatedClock()
  const polls: number[] = []
  const inputs: unknown[] = []
  const actor = createActor(
    machines.deviceAuthorization.provide({
      actors: {
        requestDeviceCode: fromPromise(async () => device),
        pollDeviceCode: fromPromise(async ({ input }): Promise<Outcome> => {
          const answer = answers[polls.length]
          polls.push(clock.now())
          inputs.push(input)
          if (answer === obtained) return obtained
          throw answer
        }),
      },
    }),
    { input: {}, clock },
  )
  actor.start()
  const settle = () => new Promise((resolve) => setTimeout(resolve, 0))
  return { actor, clock, polls, inputs, settle }
}

/** Moves simulated time forward in steps, letting promise actors settle in between. */
const advance = async ({ clock, settle }: ReturnType<typeof run>, ms: number) => {
  await settle()
  for (let done = 0; done < ms; done += 500) {
    clock.increment(500)
    await settle()
  }
  await settle()
}

describe("machines.deviceAuthorization", () => {
  it("polls every interval while pending, 5 s slower after each slow_down, then holds the tokens", async () => {
    const running = run([
      oauth("authorization_pending"),
      oauth("slow_down"),
      oauth("authorization_pending"),
      obtained,
    ])
    await running.settle()
    expect(running.actor.getSnapshot().value).toBe("awaitingUser")
    expect(running.actor.getSnapshot().context.device?.userCode).toBe("ABCD-EFGH")
    await advance(running, 30_000)
    expect(running.polls).toEqual([5000, 10_000, 20_000, 30_000])
    // Every poll presents the device code it was given.
    const presented = running.inputs.map((input) => (input as { device: DeviceCode }).device)
    expect(presented.map((d) => d.deviceCode)).toEqual([1, 2, 3, 4].map(() => device.deviceCode))
    expect(presented.map((d) => d.intervalMs)).toEqual([5000, 5000, 10_000, 10_000])
    const snapshot = running.actor.getSnapshot()
    expect(snapshot.value).toBe("valid")
    expect(snapshot.context.credentials?.accessToken).toBe("at")
    expect(snapshot.context.renewAt).toBe(3_540_000)
    // The device code is dropped once it has served.
    expect(snapshot.context.device).toBeUndefined()
  })

  it("access_denied (as AuthorizationDenied) ends in denied; an expired code in expired", async () => {
    for (const [error, state] of [
      [new AuthorizationDenied({}), "denied"],
      [new DeviceCodeExpired({ reason: "ServerSaidExpired" }), "expired"],
      [oauth("invalid_client"), "rejected"],
      // Only the token endpoint's OAuthError says slow_down: an embedder's look-alike ends it.
      [{ error: "slow_down" }, "rejected"],
    ] as const) {
      const running = run([error])
      await advance(running, 5000)
      const snapshot = running.actor.getSnapshot()
      expect(snapshot.value).toBe(state)
      expect(snapshot.status).toBe("done")
      expect(snapshot.context.error).toBe(error)
    }
  })
})

describe("machines.deviceAuthorization left without a poll", () => {
  it("ends the login with a message naming the missing actor, after the interval", async () => {
    const clock = new SimulatedClock()
    const actor = createActor(
      machines.deviceAuthorization.provide({
        actors: { requestDeviceCode: fromPromise(async () => device) },
      }),
      { input: {}, clock },
    ).start()
    await new Promise((resolve) => setTimeout(resolve, 0))
    expect(actor.getSnapshot().value).toBe("awaitingUser")
    clock.increment(5000)
    await new Promise((resolve) => setTimeout(resolve, 0))
    const snapshot = actor.getSnapshot()
    expect(snapshot.value).toBe("rejected")
    expect((snapshot.context.error as Error).message).toBe(
      "grantflow: the pollDeviceCode actor was not provided.",
    )
  })
})
