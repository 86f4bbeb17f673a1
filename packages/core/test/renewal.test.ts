/**
 * When credentials fall due: the arithmetic the runtime does for the machines, against the
 * oracle the machine tests use (written from DESIGN.md and RFC 6749 §5.1, not from src).
 */
import * as fc from "fast-check"
import { describe, expect, it } from "vitest"
import { held, renewAtOf, unsavedOf, withUnsaved } from "../src/internal/renewal.js"
import { oracleRenewAt } from "./machines/fixtures.js"

const obtainedArb = fc.record({
  obtainedAt: fc.integer({ min: 1_600_000_000_000, max: 1_800_000_000_000 }),
  lifetime: fc.option(fc.integer({ min: -60_000, max: 86_400_000 }), { nil: undefined }),
})

describe("renewAtOf", () => {
  it("is the margin before expiry, capped at half the lifetime, as the oracle says", () => {
    fc.assert(
      fc.property(obtainedArb, fc.integer({ min: 0, max: 600_000 }), ({ obtainedAt, lifetime }, margin) => {
        const obtained = {
          credentials: {
            accessToken: "at",
            tokenType: "Bearer",
            scopes: [],
            ...(lifetime === undefined ? {} : { expiresAt: obtainedAt + lifetime }),
          },
          obtainedAt,
        }
        const expected = oracleRenewAt(obtained, margin)
        expect(renewAtOf(obtained, margin)).toBe(expected)
        expect(held(obtained, margin)).toEqual({ ...obtained, renewAt: expected })
        if (lifetime !== undefined && lifetime > 0) {
          // Never renewed before it was obtained, never after it expires.
          expect(expected).toBeGreaterThanOrEqual(obtainedAt)
          expect(expected).toBeLessThanOrEqual(obtainedAt + lifetime)
        }
      }),
      { numRuns: 500 },
    )
  })

  it("a 30 s token is used for 15 s; an hour's token until a minute before it expires", () => {
    const at = (lifetime: number) => ({
      credentials: {
        accessToken: "at",
        tokenType: "Bearer",
        scopes: [],
        expiresAt: 1_700_000_000_000 + lifetime,
      },
      obtainedAt: 1_700_000_000_000,
    })
    expect(renewAtOf(at(30_000), 60_000)).toBe(1_700_000_015_000)
    expect(renewAtOf(at(3_600_000), 60_000)).toBe(1_700_003_540_000)
  })
})

describe("unsavedOf", () => {
  it("finds the credentials an error was given, and nothing on anything else", () => {
    const obtained = { credentials: { accessToken: "at", tokenType: "Bearer", scopes: [] }, obtainedAt: 0 }
    const error = withUnsaved(new Error("the store failed"), obtained)
    expect(unsavedOf(error)).toBe(obtained)
    for (const other of [new Error("the store failed"), undefined, null, "a string", 42, {}])
      expect(unsavedOf(other)).toBeUndefined()
  })
})
