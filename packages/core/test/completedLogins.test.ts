import { describe, expect, it } from "vitest"
import { markCompleted } from "../src/internal/completedLogins.js"

describe("the memory of completed logins", () => {
  it("refuses a state twice while it lives, accepts it again once it has expired", () => {
    expect(markCompleted("state-a", 1_000, 0)).toBe(true)
    expect(markCompleted("state-a", 1_000, 999)).toBe(false)
    expect(markCompleted("state-a", 3_000, 1_000)).toBe(true)
  })

  it("stays bounded: past 10 000 live entries the oldest goes, the newest are still refused", () => {
    const now = 10_000
    for (let i = 0; i < 10_050; i++) expect(markCompleted(`bulk-${i}`, now + 60_000, now)).toBe(true)
    expect(markCompleted("bulk-10049", now + 60_000, now)).toBe(false)
    expect(markCompleted("bulk-0", now + 60_000, now)).toBe(true)
  })
})
