/**
 * Summaries of per-round figures: medians and min–max ranges, formatted for the report.
 *
 * @module
 */

export const median = (values: ReadonlyArray<number>): number => {
  const sorted = [...values].sort((a, b) => a - b)
  const middle = Math.floor(sorted.length / 2)
  return sorted.length % 2 === 1 ? sorted[middle]! : (sorted[middle - 1]! + sorted[middle]!) / 2
}

/** A figure measured once per round. */
export interface Spread {
  readonly median: number
  readonly min: number
  readonly max: number
}

export const spread = (values: ReadonlyArray<number>): Spread => ({
  median: median(values),
  min: Math.min(...values),
  max: Math.max(...values),
})

/** `1.23 (1.10–1.31)`: the median, then the range over rounds. */
export const formatSpread = (value: Spread, digits: number): string =>
  `${value.median.toFixed(digits)} (${value.min.toFixed(digits)}–${value.max.toFixed(digits)})`

/** `1.10–1.31`: the range over rounds alone. */
export const formatRange = (value: Spread, digits: number): string =>
  `${value.min.toFixed(digits)}–${value.max.toFixed(digits)}`

export const envInt = (name: string, fallback: number): number => {
  const value = Number.parseInt(process.env[name] ?? "", 10)
  return Number.isFinite(value) && value > 0 ? value : fallback
}

/** Rotates `items` by `round`, so no candidate always runs right after the same neighbour. */
export const rotated = <A>(items: ReadonlyArray<A>, round: number): ReadonlyArray<A> =>
  items.map((_, index) => items[(index + round) % items.length]!)
