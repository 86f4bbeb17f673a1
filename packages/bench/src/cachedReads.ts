/**
 * What a read of a still-valid token costs: `getAccessToken()` (awaited, as callers do) and
 * `peekAccessToken()`, each next to the hand-written equivalent measured in the same round
 * (awaiting a held promise; returning a held token after checking its expiry on the clock).
 *
 * @module
 */
import type { TokenServer } from "./server.js"
import { rotated, type Spread, spread } from "./stats.js"
import { sourceAt } from "./tokenClients.js"

export interface CachedReadsResult {
  readonly getAccessTokenNs: Spread
  readonly getVsHeldPromise: Spread
  readonly peekAccessTokenNs: Spread
  readonly peekVsHandWritten: Spread
}

const nanosPerCall = async (iterations: number, loop: (iterations: number) => Promise<unknown>) => {
  const begin = process.hrtime.bigint()
  await loop(iterations)
  return Number(process.hrtime.bigint() - begin) / iterations
}

export const runCachedReads = async (
  server: TokenServer,
  options: { readonly rounds: number; readonly iterations: number },
): Promise<CachedReadsResult> => {
  const source = sourceAt(server.tokenUrl)
  const token = await source.getAccessToken()
  const held = Promise.resolve(token)
  const expiresAt = Date.now() + 3_600_000
  const handWrittenPeek = () => (Date.now() < expiresAt ? token : undefined)
  // Summing lengths keeps the reads from being optimised away.
  let sink = 0
  const loops = [
    async (n: number) => {
      for (let i = 0; i < n; i++) sink += (await source.getAccessToken()).length
    },
    async (n: number) => {
      for (let i = 0; i < n; i++) sink += (await held).length
    },
    async (n: number) => {
      for (let i = 0; i < n; i++) sink += source.peekAccessToken()?.length ?? 0
    },
    async (n: number) => {
      for (let i = 0; i < n; i++) sink += handWrittenPeek()?.length ?? 0
    },
  ]
  for (const loop of loops) await nanosPerCall(options.iterations, loop)
  const samples: Array<Array<number>> = loops.map(() => [])
  for (let round = 0; round < options.rounds; round++) {
    for (const index of rotated([0, 1, 2, 3], round)) {
      samples[index]!.push(await nanosPerCall(options.iterations, loops[index]!))
    }
  }
  source.stop()
  if (sink === 0) throw new Error("no token was read")
  const [get, heldPromise, peek, handWritten] = samples as [number[], number[], number[], number[]]
  return {
    getAccessTokenNs: spread(get),
    getVsHeldPromise: spread(get.map((value, round) => value / heldPromise[round]!)),
    peekAccessTokenNs: spread(peek),
    peekVsHandWritten: spread(peek.map((value, round) => value / handWritten[round]!)),
  }
}
