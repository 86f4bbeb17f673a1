/**
 * Every flow machine builds, is named after its flow and starts where the flow begins. The
 * machines are imported inside the test: a definition that cannot even be built fails this test
 * rather than the loading of a test file, which mutation testing would not count as a failure.
 */
import { describe, expect, it } from "vitest"
import { initialTransition } from "xstate"

const credentials = { accessToken: "at", tokenType: "Bearer", scopes: [], expiresAt: 2_000 }
const held = { credentials, obtainedAt: 1_000, renewAt: 1_500 }
const expectation = {
  provider: { issuer: "https://auth.example.test" },
  pending: { state: "s".repeat(43), issuer: "https://auth.example.test" },
}

describe("the flow machines", () => {
  it("build, carry their flow's name, and start where the flow begins", async () => {
    const { machines } = await import("../../src/machines/index.js")
    const begins = {
      clientCredentials: ["clientCredentials", {}, "idle"],
      authorizationCode: ["authorizationCode", { expectation }, "awaitingCallback"],
      pkce: ["authorizationCode", { expectation }, "awaitingCallback"],
      savedCredentials: ["savedCredentials", { obtained: held }, "valid"],
      staticToken: ["staticToken", { obtained: held }, "valid"],
      deviceAuthorization: ["deviceAuthorization", {}, "requestingCode"],
    } as const
    expect(Object.keys(machines).sort()).toEqual(Object.keys(begins).sort())
    for (const [name, [id, input, state]] of Object.entries(begins)) {
      const machine = machines[name as keyof typeof machines]
      expect(machine.id, name).toBe(id)
      const [snapshot] = initialTransition(machine as never, input as never)
      expect([name, (snapshot as { value: unknown }).value]).toEqual([name, state])
      expect((snapshot as { context: { credentials: unknown } }).context.credentials).toBe(
        "obtained" in input ? credentials : undefined,
      )
    }
  })
})
