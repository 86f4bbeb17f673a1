/**
 * What a token request costs the client: each candidate gets tokens from the stand-in server,
 * one at a time and with many in flight (each worker holding its own client, so a grantflow
 * source's single flight does not merge requests). Rounds interleave the candidates in
 * rotating order; ratios are taken against raw fetch measured in the same round.
 *
 * @module
 */
import { measure } from "./measure.js"
import type { TokenServer } from "./server.js"
import { rotated, type Spread, spread } from "./stats.js"
import { type Candidate, candidates, oauth4webapi, type TokenClient } from "./tokenClients.js"

export interface ThroughputOptions {
  readonly rounds: number
  readonly opsPerRound: number
  readonly warmupOps: number
  readonly inFlight: number
}

export interface ModeFigures {
  readonly opsPerSecond: Spread
  /** ops/s over raw fetch's in the same round. */
  readonly vsFetch: Spread
  readonly cpuMicrosPerOp: Spread
  /** CPU per request over oauth4webapi's in the same round. */
  readonly cpuVsOauth4webapi: Spread
}

export interface ThroughputRow {
  readonly name: string
  readonly modes: ReadonlyArray<ModeFigures>
}

export interface ThroughputResult {
  readonly modes: ReadonlyArray<string>
  readonly rows: ReadonlyArray<ThroughputRow>
}

interface Prepared {
  readonly candidate: Candidate
  readonly clients: ReadonlyArray<TokenClient>
}

const prepare = async (candidate: Candidate, tokenUrl: string, count: number): Promise<Prepared> => {
  const clients = await Promise.all(Array.from({ length: count }, () => candidate.create(tokenUrl)))
  for (const client of clients) {
    if ((await client.once()) === "") throw new Error(`${candidate.name}: no access token`)
  }
  return { candidate, clients }
}

export const runThroughput = async (
  server: TokenServer,
  options: ThroughputOptions,
): Promise<ThroughputResult> => {
  const modes = [
    { label: "sequential", inFlight: 1 },
    { label: `${options.inFlight} in flight`, inFlight: options.inFlight },
  ]
  const perMode: Array<Array<ModeFigures>> = candidates.map(() => [])
  for (const mode of modes) {
    const prepared: Array<Prepared> = []
    for (const candidate of candidates) {
      const ready = await prepare(candidate, server.dueUrl, mode.inFlight)
      await measure(
        ready.clients.map((client) => client.once),
        options.warmupOps,
      )
      prepared.push(ready)
    }
    const samples = candidates.map(() => ({ ops: [] as number[], cpu: [] as number[] }))
    const ratios = candidates.map(() => ({ vsFetch: [] as number[], cpuVsOauth: [] as number[] }))
    const oauthIndex = candidates.indexOf(oauth4webapi)
    for (let round = 0; round < options.rounds; round++) {
      const results: Array<{ opsPerSecond: number; cpuMicrosPerOp: number }> = []
      for (const index of rotated(
        candidates.map((_, i) => i),
        round,
      )) {
        const before = await server.requests()
        results[index] = await measure(
          prepared[index]!.clients.map((client) => client.once),
          options.opsPerRound,
        )
        // Every call must have been one token request, or the figure measures something else.
        const served = (await server.requests()) - before
        if (served !== options.opsPerRound) {
          throw new Error(`${candidates[index]!.name}: ${served} requests for ${options.opsPerRound} calls`)
        }
      }
      results.forEach((result, index) => {
        samples[index]!.ops.push(result.opsPerSecond)
        samples[index]!.cpu.push(result.cpuMicrosPerOp)
        ratios[index]!.vsFetch.push(result.opsPerSecond / results[0]!.opsPerSecond)
        ratios[index]!.cpuVsOauth.push(result.cpuMicrosPerOp / results[oauthIndex]!.cpuMicrosPerOp)
      })
    }
    candidates.forEach((_, index) => {
      perMode[index]!.push({
        opsPerSecond: spread(samples[index]!.ops),
        vsFetch: spread(ratios[index]!.vsFetch),
        cpuMicrosPerOp: spread(samples[index]!.cpu),
        cpuVsOauth4webapi: spread(ratios[index]!.cpuVsOauth),
      })
    })
    for (const ready of prepared) for (const client of ready.clients) await client.close()
  }
  return {
    modes: modes.map((mode) => mode.label),
    rows: candidates.map((candidate, index) => ({ name: candidate.name, modes: perMode[index]! })),
  }
}
