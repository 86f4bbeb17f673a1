/**
 * `pnpm bench`: every benchmark of what grantflow's users pay, from the built packages, with its
 * peers in the same run, written to packages/bench/REPORT.md. About five minutes on a 2-core
 * machine; every knob is an environment variable (see `settings` below).
 *
 * @module
 */
import { writeFile } from "node:fs/promises"
import { requireBuiltCore } from "./builtCore.js"
import { measureBundles } from "./bundles.js"
import { runCachedReads } from "./cachedReads.js"
import { runHerd } from "./herd.js"
import { runIdleHeap } from "./idleHeap.js"
import { currentLoad, machineInfo } from "./machine.js"
import { runProfile } from "./profile.js"
import { goals, renderReport } from "./report.js"
import { startTokenServer } from "./server.js"
import { runStartup } from "./startup.js"
import { envInt } from "./stats.js"
import { runThroughput } from "./throughput.js"

const settings = {
  rounds: envInt("BENCH_ROUNDS", 15),
  opsPerRound: envInt("BENCH_OPS", 400),
  warmupOps: envInt("BENCH_WARMUP", 300),
  inFlight: envInt("BENCH_IN_FLIGHT", 64),
  cachedIterations: envInt("BENCH_CACHED_ITERATIONS", 200_000),
  herdCallers: envInt("BENCH_HERD_CALLERS", 10_000),
  idleSources: envInt("BENCH_IDLE_SOURCES", 10_000),
  startupRounds: envInt("BENCH_STARTUP_ROUNDS", 5),
  startupRuns: envInt("BENCH_STARTUP_RUNS", 5),
  profileCalls: envInt("BENCH_PROFILE_CALLS", 3000),
}

const step = async <A>(name: string, work: () => Promise<A>): Promise<A> => {
  const begin = Date.now()
  process.stderr.write(`${name}... `)
  const result = await work()
  process.stderr.write(`${((Date.now() - begin) / 1000).toFixed(0)} s\n`)
  return result
}

await requireBuiltCore()
const begin = Date.now()
const machine = await machineInfo()
const server = await startTokenServer()
try {
  const throughput = await step("token requests", () => runThroughput(server, settings))
  const cached = await step("cached reads", () =>
    runCachedReads(server, { rounds: settings.rounds, iterations: settings.cachedIterations }),
  )
  const herd = await step("herd", () =>
    runHerd(server, { rounds: settings.rounds, warmup: 3, callers: settings.herdCallers }),
  )
  const idleHeap = await step("heap per idle source", () => runIdleHeap(settings.idleSources))
  const startup = await step("import time and cold start", () =>
    runStartup(server, { rounds: settings.startupRounds, runs: settings.startupRuns }),
  )
  const bundles = await step("bundle sizes", measureBundles)
  const profile = await step("CPU profile", () => runProfile(server, settings.profileCalls))
  const results = {
    machine,
    loadAtEnd: currentLoad(),
    seconds: (Date.now() - begin) / 1000,
    settings: Object.entries(settings)
      .map(([name, value]) => `${name} ${value}`)
      .join(", "),
    throughput,
    cached,
    herd,
    idleHeap,
    startup,
    bundles,
    profile,
  }
  await writeFile(new URL("../REPORT.md", import.meta.url), renderReport(results))
  console.log("goal | this run | verdict")
  for (const [figure, , measured, verdict] of goals(results))
    console.log(`${figure}: ${measured} → ${verdict}`)
  console.log("Full report: packages/bench/REPORT.md")
} finally {
  server.stop()
}
