/**
 * A thundering herd: many callers ask one long-lived source for a token at once while its token
 * is due. grantflow must make one request for all of them; the hand-written single flight over
 * fetch (one shared promise, dropped when it settles) is the baseline of each round.
 *
 * @module
 */
import type { TokenServer } from "./server.js"
import { rotated, type Spread, spread } from "./stats.js"
import { dueSourceAt, rawFetch } from "./tokenClients.js"

export interface HerdResult {
  readonly callers: number
  readonly grantflowMs: Spread
  readonly handWrittenMs: Spread
  /** grantflow's time over the hand-written one's in the same round. */
  readonly ratio: Spread
  /** Token requests per herd, the most seen in any round (must be 1). */
  readonly grantflowRequests: number
  readonly handWrittenRequests: number
}

const singleFlight = (once: () => Promise<string>) => {
  let inFlight: Promise<string> | undefined
  return () => {
    inFlight ??= once().finally(() => {
      inFlight = undefined
    })
    return inFlight
  }
}

export const runHerd = async (
  server: TokenServer,
  options: { readonly rounds: number; readonly warmup: number; readonly callers: number },
): Promise<HerdResult> => {
  const source = dueSourceAt(server.dueUrl)
  const fetchClient = await rawFetch.create(server.dueUrl)
  const contenders = [() => source.getAccessToken(), singleFlight(fetchClient.once)]
  const herd = async (get: () => Promise<string>) => {
    const before = await server.requests()
    const begin = process.hrtime.bigint()
    const tokens = await Promise.all(Array.from({ length: options.callers }, get))
    const ms = Number(process.hrtime.bigint() - begin) / 1e6
    if (tokens.some((token) => token === "")) throw new Error("a caller got no token")
    return { ms, requests: (await server.requests()) - before }
  }
  for (let i = 0; i < options.warmup; i++) for (const get of contenders) await herd(get)
  const times: Array<Array<number>> = [[], []]
  const requests = [0, 0]
  for (let round = 0; round < options.rounds; round++) {
    for (const index of rotated([0, 1], round)) {
      const result = await herd(contenders[index]!)
      times[index]!.push(result.ms)
      requests[index] = Math.max(requests[index]!, result.requests)
    }
  }
  source.stop()
  const [grantflow, handWritten] = times as [number[], number[]]
  return {
    callers: options.callers,
    grantflowMs: spread(grantflow),
    handWrittenMs: spread(handWritten),
    ratio: spread(grantflow.map((value, round) => value / handWritten[round]!)),
    grantflowRequests: requests[0]!,
    handWrittenRequests: requests[1]!,
  }
}
