/**
 * Import time and cold start to a first token, one fresh `node` process per run. With hyperfine
 * (Debian's /usr/bin/hyperfine) each round is one hyperfine call over every command; without it
 * the same runs are timed here, interleaved. Ratios are per round, so a busy machine moves the
 * rounds, not the comparison within one.
 *
 * @module
 */
import { execFile, spawnSync } from "node:child_process"
import { mkdtemp, readFile, rm } from "node:fs/promises"
import { tmpdir } from "node:os"
import { join } from "node:path"
import { fileURLToPath } from "node:url"
import { promisify } from "node:util"
import type { TokenServer } from "./server.js"
import { median, type Spread, spread } from "./stats.js"

const child = fileURLToPath(new URL("./startupChild.js", import.meta.url))
const run = promisify(execFile)

interface Command {
  readonly name: string
  readonly args: ReadonlyArray<string>
}

export const hyperfinePath = (): string | undefined => {
  const found = spawnSync("hyperfine", ["--version"], { encoding: "utf8" })
  return found.status === 0 ? "hyperfine" : undefined
}

/** A command's median wall time and mean CPU time (user + system), both in ms. */
interface Timing {
  readonly wallMs: number
  readonly cpuMs: number
}

/**
 * Times each command over `runs` fresh processes. Wall time is the median run (a busy machine
 * makes outliers); CPU time, which waiting for a core does not inflate, is kept beside it.
 */
const timeCommands = async (
  commands: ReadonlyArray<Command>,
  runs: number,
  env: NodeJS.ProcessEnv,
  hyperfine: string | undefined,
): Promise<ReadonlyArray<Timing>> => {
  const lines = commands.map((command) => [process.execPath, child, ...command.args].join(" "))
  if (hyperfine !== undefined) {
    const dir = await mkdtemp(join(tmpdir(), "grantflow-bench-"))
    const json = join(dir, "startup.json")
    const args = ["-N", "--warmup", "1", "--runs", String(runs), "--style", "none", "--export-json", json]
    await run(hyperfine, [...args, ...lines], { env })
    const results = JSON.parse(await readFile(json, "utf8")) as {
      results: Array<{ median: number; user: number; system: number }>
    }
    await rm(dir, { recursive: true })
    return results.results.map((result) => ({
      wallMs: result.median * 1000,
      cpuMs: (result.user + result.system) * 1000,
    }))
  }
  const samples = commands.map(() => ({ wall: [] as number[], cpu: [] as number[] }))
  for (let i = 0; i <= runs; i++) {
    for (const [index, command] of commands.entries()) {
      const begin = process.hrtime.bigint()
      const result = spawnSync(process.execPath, [child, ...command.args], {
        env: { ...env, BENCH_PRINT_CPU: "1" },
        encoding: "utf8",
      })
      if (result.status !== 0) throw new Error(`${command.name} failed: ${result.stderr}`)
      // The first pass warms the file cache and is not counted.
      if (i === 0) continue
      samples[index]!.wall.push(Number(process.hrtime.bigint() - begin) / 1e6)
      samples[index]!.cpu.push(Number.parseFloat(result.stdout))
    }
  }
  return samples.map(({ wall, cpu }) => ({
    wallMs: median(wall),
    cpuMs: cpu.reduce((sum, value) => sum + value, 0) / cpu.length,
  }))
}

export interface StartupRow {
  readonly name: string
  readonly ms: Spread
  readonly cpuMs: Spread
}

export interface StartupResult {
  readonly tool: string
  readonly runsPerRound: number
  readonly rounds: number
  /** Import cost above bare node, per module. */
  readonly imports: ReadonlyArray<StartupRow>
  /** @grantflow/core's import cost over effect/Effect's, per round. */
  readonly coreVsEffect: Spread
  /** The same by CPU time, which a busy machine moves less. */
  readonly coreVsEffectCpu: Spread
  /** Whole process, node start to first token and exit. */
  readonly coldStart: ReadonlyArray<StartupRow>
  /** grantflow's cold start over oauth4webapi's, per round. */
  readonly coldVsOauth4webapi: Spread
  readonly coldVsOauth4webapiCpu: Spread
}

const importCommands: ReadonlyArray<Command> = [
  { name: "bare node", args: ["import", "none"] },
  { name: "effect/Effect", args: ["import", "effect/Effect"] },
  { name: "@grantflow/core", args: ["import", "@grantflow/core"] },
  { name: "oauth4webapi", args: ["import", "oauth4webapi"] },
  { name: "simple-oauth2", args: ["import", "simple-oauth2"] },
]

const coldCommands: ReadonlyArray<Command> = ["fetch", "grantflow", "oauth4webapi", "simple-oauth2"].map(
  (name) => ({ name: name === "fetch" ? "raw fetch" : name, args: ["first-token", name] }),
)

const rowsOf = (
  commands: ReadonlyArray<Command>,
  rounds: ReadonlyArray<ReadonlyArray<Timing>>,
): ReadonlyArray<StartupRow> =>
  commands.map((command, index) => ({
    name: command.name,
    ms: spread(rounds.map((round) => round[index]!.wallMs)),
    cpuMs: spread(rounds.map((round) => round[index]!.cpuMs)),
  }))

const ratio = (
  rounds: ReadonlyArray<ReadonlyArray<Timing>>,
  over: number,
  under: number,
  figure: keyof Timing = "wallMs",
): Spread => spread(rounds.map((round) => round[over]![figure] / round[under]![figure]))

export const runStartup = async (
  server: TokenServer,
  options: { readonly rounds: number; readonly runs: number },
): Promise<StartupResult> => {
  const hyperfine = hyperfinePath()
  const env = { ...process.env, TOKEN_URL: server.tokenUrl }
  const importRounds: Array<ReadonlyArray<Timing>> = []
  const coldRounds: Array<ReadonlyArray<Timing>> = []
  for (let round = 0; round < options.rounds; round++) {
    const [bare, ...imports] = await timeCommands(importCommands, options.runs, env, hyperfine)
    importRounds.push(
      imports.map((timing) => ({ wallMs: timing.wallMs - bare!.wallMs, cpuMs: timing.cpuMs - bare!.cpuMs })),
    )
    coldRounds.push(await timeCommands(coldCommands, options.runs, env, hyperfine))
  }
  return {
    tool: hyperfine === undefined ? "own spawn loop (hyperfine not found)" : "hyperfine -N",
    runsPerRound: options.runs,
    rounds: options.rounds,
    imports: rowsOf(importCommands.slice(1), importRounds),
    coreVsEffect: ratio(importRounds, 1, 0),
    coreVsEffectCpu: ratio(importRounds, 1, 0, "cpuMs"),
    coldStart: rowsOf(coldCommands, coldRounds),
    coldVsOauth4webapi: ratio(coldRounds, 1, 2),
    coldVsOauth4webapiCpu: ratio(coldRounds, 1, 2, "cpuMs"),
  }
}
