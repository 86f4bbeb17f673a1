import { describe, expect, it } from "@effect/vitest"
import * as Effect from "effect/Effect"
import * as fc from "fast-check"
import { ClientCredentials, type Credentials, decodeCredentials, SavedCredentials } from "../src/index.js"
import { maxExpiresInSeconds } from "../src/TokenResponse.js"
import * as Faulty from "./support/FaultyHttpClient.js"
import { harness, provider } from "./support/flowHarness.js"

/** Token responses a lenient decoder accepts, absurd lifetimes included. */
const wireResponse = fc.record(
  {
    access_token: fc.stringMatching(/^[\x21-\x7E]{1,40}$/),
    token_type: fc.constantFrom("Bearer", "bearer", "BEARER"),
    expires_in: fc.oneof(
      fc.constant(null),
      fc.constant(0),
      fc.constant(1e308),
      fc.constant("1e308"),
      fc.constant(Number.MAX_VALUE),
      fc.double({ min: 0, max: 1e308, noNaN: true, noDefaultInfinity: true }),
      fc.nat().map(String),
    ),
    refresh_token: fc.oneof(fc.constant(null), fc.string({ unit: "grapheme", maxLength: 30 })),
    scope: fc.oneof(fc.constant(null), fc.string({ maxLength: 40 })),
  },
  { requiredKeys: ["access_token", "token_type"] },
)

describe("every Credentials the core emits", () => {
  it("survive JSON and are accepted again by savedCredentials", async () => {
    await fc.assert(
      fc.asyncProperty(wireResponse, async (wire) => {
        const { layer } = harness([Faulty.json(200, wire)])
        await Effect.runPromise(
          Effect.gen(function* () {
            const app = yield* ClientCredentials.make({ provider, clientId: "a", clientSecret: "s" })
            const credentials = yield* app.credentials
            const now = Date.now()
            if (credentials.expiresAt !== undefined) {
              expect(Number.isFinite(credentials.expiresAt)).toBe(true)
              expect(credentials.expiresAt).toBeLessThanOrEqual(now + maxExpiresInSeconds * 1000)
            }
            const stored: unknown = JSON.parse(JSON.stringify(credentials))
            expect(stored).toEqual(credentials)
            expect(yield* decodeCredentials(stored)).toEqual(credentials)
            // make decodes the credentials again and fails with ConfigError when it cannot.
            const resumed = yield* SavedCredentials.make({
              provider,
              clientId: "a",
              credentials: stored as Credentials,
            })
            if (credentials.expiresAt === undefined || credentials.expiresAt > now + 60_000) {
              expect(resumed.source.peekAccessToken()).toBe(wire.access_token)
            }
          }).pipe(Effect.provide(layer), Effect.scoped),
        )
      }),
      { numRuns: 100 },
    )
  })
})
