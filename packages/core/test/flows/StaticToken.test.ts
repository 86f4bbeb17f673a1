import { describe, expect, it } from "@effect/vitest"
import { ConfigError, StaticToken, staticToken } from "@grantflow/core"
import * as Effect from "effect/Effect"
import * as TestClock from "effect/TestClock"

describe("static token", () => {
  it.scoped("serves the token until expiresAt, then TokenExpired until replaced", () =>
    Effect.gen(function* () {
      const fixed = yield* StaticToken.make({ accessToken: "given", expiresAt: 10_000 })
      expect(yield* fixed.accessToken).toBe("given")
      yield* TestClock.adjust("10 seconds")
      expect(yield* Effect.flip(fixed.accessToken)).toMatchObject({ _tag: "TokenExpired", expiredAt: 10_000 })
      fixed.replace({ accessToken: "renewed-by-caller", expiresAt: 20_000 })
      expect(yield* fixed.accessToken).toBe("renewed-by-caller")
    }),
  )

  it.scoped("revoke forgets the token", () =>
    Effect.gen(function* () {
      const fixed = yield* StaticToken.make({ accessToken: "given" })
      yield* fixed.revoke
      expect(yield* Effect.flip(fixed.accessToken)).toMatchObject({ _tag: "ReauthenticationRequired" })
    }),
  )

  it.scoped("refuses an empty token", () =>
    Effect.gen(function* () {
      expect(yield* Effect.flip(StaticToken.make({ accessToken: "" }))).toMatchObject({ _tag: "ConfigError" })
    }),
  )

  it("replace() throws the tagged ConfigError itself, not a FiberFailure, and keeps the token", async () => {
    const fixed = staticToken({ accessToken: "given" })
    let thrown: unknown
    try {
      fixed.replace({ accessToken: "" })
    } catch (error) {
      thrown = error
    }
    expect(thrown).toBeInstanceOf(ConfigError)
    expect(thrown).toMatchObject({ _tag: "ConfigError", name: "ConfigError" })
    expect(await fixed.getAccessToken()).toBe("given")
    fixed.stop()
  })
})
