import { describe, expect, it } from "vitest"
import { formatSpread, median, rotated, spread } from "../src/stats.js"

describe("stats", () => {
  it("takes the median of odd and even counts without reordering the input", () => {
    const values = [5, 1, 3]
    expect(median(values)).toBe(3)
    expect(values).toEqual([5, 1, 3])
    expect(median([4, 1, 3, 2])).toBe(2.5)
  })

  it("summarises rounds as median and min–max", () => {
    const summary = spread([1.2, 0.9, 1.5, 1.1])
    expect(summary).toEqual({ median: 1.15, min: 0.9, max: 1.5 })
    expect(formatSpread(summary, 2)).toBe("1.15 (0.90–1.50)")
  })

  it("rotates the running order by round, visiting every item once", () => {
    expect(rotated(["a", "b", "c"], 0)).toEqual(["a", "b", "c"])
    expect(rotated(["a", "b", "c"], 1)).toEqual(["b", "c", "a"])
    expect(rotated(["a", "b", "c"], 5)).toEqual(["c", "a", "b"])
  })
})
