/**
 * Which HttpClient should core use for token endpoint calls? Each candidate POSTs a small
 * form body to a node:http server on 127.0.0.1 (a child process) and decodes its JSON token
 * response, sequentially and with several requests in flight. Rounds interleave the
 * candidates, and every ratio is taken against raw `fetch` measured in the same round.
 *
 * Run with `npx -y pnpm@10.34.8 --filter @grantflow/bench bench:http` (from the built packages). Bounded: BENCH_ROUNDS (default 7) rounds of BENCH_OPS
 * (default 1000) requests per candidate and mode, after BENCH_WARMUP (default 500).
 *
 * @module
 */
import * as FetchHttpClient from "@effect/platform/FetchHttpClient"
import * as HttpClient from "@effect/platform/HttpClient"
import * as HttpClientRequest from "@effect/platform/HttpClientRequest"
import * as NodeHttpClient from "@effect/platform-node/NodeHttpClient"
import * as Effect from "effect/Effect"
import * as Layer from "effect/Layer"
import * as ManagedRuntime from "effect/ManagedRuntime"
import { Agent, request as undiciRequest } from "undici"
// Internal modules of the built core: not public exports, measured here to choose between them.
import * as HttpFetch from "../../core/dist/platform/httpFetch.js"
import * as HttpNode from "../../core/dist/platform/httpNode.js"
import { measure } from "./measure.js"
import { startTokenServer } from "./server.js"
import { envInt, median } from "./stats.js"

const rounds = envInt("BENCH_ROUNDS", 7)
const opsPerRound = envInt("BENCH_OPS", 1000)
const warmupOps = envInt("BENCH_WARMUP", 500)
const concurrency = envInt("BENCH_CONCURRENCY", 16)

const form = new URLSearchParams({
  grant_type: "client_credentials",
  scope: "user-read-email user-read-private",
}).toString()
const formType = "application/x-www-form-urlencoded"

interface Candidate {
  readonly name: string
  readonly setup: (
    url: string,
  ) => Promise<{ readonly once: () => Promise<unknown>; readonly close: () => Promise<void> }>
}

const effectCandidate = (name: string, layer: Layer.Layer<HttpClient.HttpClient>): Candidate => ({
  name,
  setup: async (url) => {
    const runtime = ManagedRuntime.make(layer)
    const client = await runtime.runPromise(HttpClient.HttpClient)
    const request = HttpClientRequest.post(url).pipe(
      HttpClientRequest.bodyText(form, formType),
      HttpClientRequest.acceptJson,
    )
    const effect = Effect.flatMap(client.execute(request), (response) => response.json)
    return { once: () => runtime.runPromise(effect), close: () => runtime.dispose() }
  },
})

const withClient = (f: (client: HttpClient.HttpClient) => HttpClient.HttpClient) =>
  Layer.effect(HttpClient.HttpClient, Effect.map(HttpClient.HttpClient, f)).pipe(
    Layer.provide(FetchHttpClient.layer),
  )

const candidates: ReadonlyArray<Candidate> = [
  {
    name: "raw fetch (baseline)",
    setup: async (url) => ({
      once: () =>
        fetch(url, {
          method: "POST",
          headers: { "content-type": formType, accept: "application/json" },
          body: form,
        }).then((response) => response.json()),
      close: async () => {},
    }),
  },
  {
    name: "raw undici.request (ceiling)",
    setup: async (url) => {
      const agent = new Agent()
      return {
        once: () =>
          undiciRequest(url, {
            dispatcher: agent,
            method: "POST",
            headers: { "content-type": formType, accept: "application/json" },
            body: form,
          }).then((response) => response.body.json()),
        close: () => agent.destroy(),
      }
    },
  },
  effectCandidate("FetchHttpClient.layer", FetchHttpClient.layer),
  effectCandidate("FetchHttpClient, tracer off", withClient(HttpClient.withTracerDisabledWhen(() => true))),
  effectCandidate("core httpFetch.layer (no propagation)", HttpFetch.layer),
  effectCandidate("core httpNode.layer (no propagation)", HttpNode.layer),
  effectCandidate(
    "core httpNode.layer + tracer off",
    Layer.effect(
      HttpClient.HttpClient,
      Effect.map(
        HttpClient.HttpClient,
        HttpClient.withTracerDisabledWhen(() => true),
      ),
    ).pipe(Layer.provide(HttpNode.layer)),
  ),
  effectCandidate("NodeHttpClient.layerUndici (ref)", NodeHttpClient.layerUndici),
]

const workers = (once: () => Promise<unknown>, count: number) => Array.from({ length: count }, () => once)

const main = async () => {
  const server = await startTokenServer()
  const prepared = []
  for (const candidate of candidates) {
    const instance = await candidate.setup(server.tokenUrl)
    const body = (await instance.once()) as { access_token?: unknown }
    if (typeof body.access_token !== "string") throw new Error(`${candidate.name}: bad response`)
    await measure(workers(instance.once, concurrency), warmupOps)
    prepared.push({ name: candidate.name, ...instance })
  }

  const modes = [
    { label: "sequential", inFlight: 1 },
    { label: `${concurrency} in flight`, inFlight: concurrency },
  ]
  const rows: Array<Record<string, string>> = prepared.map((candidate) => ({ candidate: candidate.name }))
  for (const mode of modes) {
    const opsPerSecond: Array<Array<number>> = prepared.map(() => [])
    const ratios: Array<Array<number>> = prepared.map(() => [])
    for (let round = 0; round < rounds; round++) {
      // Rotate the order so no candidate always runs right after the same neighbour.
      const results: Array<number> = []
      for (let step = 0; step < prepared.length; step++) {
        const index = (step + round) % prepared.length
        results[index] = (
          await measure(workers(prepared[index]!.once, mode.inFlight), opsPerRound)
        ).opsPerSecond
      }
      const baseline = results[0]!
      results.forEach((value, index) => {
        opsPerSecond[index]!.push(value)
        ratios[index]!.push(value / baseline)
      })
    }
    prepared.forEach((_, index) => {
      const row = rows[index]!
      row[`${mode.label} ops/s`] = median(opsPerSecond[index]!).toFixed(0)
      row[`${mode.label} ×fetch`] = median(ratios[index]!).toFixed(2)
    })
  }

  for (const candidate of prepared) await candidate.close()
  server.stop()

  console.log(
    `POST form → JSON token response, node ${process.version}, loopback child-process server; ` +
      `median of ${rounds} rounds × ${opsPerRound} requests; ratio = candidate / raw fetch in the same round`,
  )
  console.table(rows)
}

await main()
