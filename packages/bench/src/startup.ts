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

/** Median wall time in ms of each command over `runs` fresh processes (a busy machine makes outliers). */
const timeCommands = async (
  commands: ReadonlyArray<Command>,
  runs: number,
  env: NodeJS.ProcessEnv,
  hyperfine: string | undefined,
): Promise<ReadonlyArray<number>> => {
  const lines = commands.map((command) => [process.execPath, child, ...command.args].join(" "))
  if (hyperfine !== undefined) {
    const dir = await mkdtemp(join(tmpdir(), "grantflow-bench-"))
    const json = join(dir, "startup.json")
    await run(
      hyperfine,
      ["-N", "--warmup", "1", "--runs", String(runs), "--style", "none", "--export-json", json, ...lines],
      {
        env,
      },
    )
    const results = JSON.parse(await readFile(json, "utf8")) as { results: Array<{ median: number }> }
    await rm(dir, { recursive: true })
    return results.results.map((result) => result.median * 1000)
  }
  const samples: Array<Array<number>> = commands.map(() => [])
  for (let i = 0; i <= runs; i++) {
    for (const [index, command] of commands.entries()) {
      const begin = process.hrtime.bigint()
      const result = spawnSync(process.execPath, [child, ...command.args], { env, stdio: "inherit" })
      if (result.status !== 0) throw new Error(`${command.name} failed`)
      // The first pass warms the file cache and is not counted.
      if (i > 0) samples[index]!.push(Number(process.hrtime.bigint() - begin) / 1e6)
    }
  }
  return samples.map(median)
}

export interface StartupRow {
  readonly name: string
  readonly ms: Spread
}

export interface StartupResult {
  readonly tool: string
  readonly runsPerRound: number
  readonly rounds: number
  /** Import cost above bare node, per module. */
  readonly imports: ReadonlyArray<StartupRow>
  /** @grantflow/core's import cost over effect/Effect's, per round. */
  readonly coreVsEffect: Spread
  /** Whole process, node start to first token and exit. */
  readonly coldStart: ReadonlyArray<StartupRow>
  /** grantflow's cold start over oauth4webapi's, per round. */
  readonly coldVsOauth4webapi: Spread
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

const column = (rounds: ReadonlyArray<ReadonlyArray<number>>, index: number) =>
  rounds.map((round) => round[index]!)

export const runStartup = async (
  server: TokenServer,
  options: { readonly rounds: number; readonly runs: number },
): Promise<StartupResult> => {
  const hyperfine = hyperfinePath()
  const env = { ...process.env, TOKEN_URL: server.tokenUrl }
  const importRounds: Array<ReadonlyArray<number>> = []
  const coldRounds: Array<ReadonlyArray<number>> = []
  for (let round = 0; round < options.rounds; round++) {
    const medians = await timeCommands(importCommands, options.runs, env, hyperfine)
    importRounds.push(medians.map((value) => value - medians[0]!))
    coldRounds.push(await timeCommands(coldCommands, options.runs, env, hyperfine))
  }
  const effect = column(importRounds, 1)
  const grantflow = column(importRounds, 2)
  const coldGrantflow = column(coldRounds, 1)
  const coldOauth = column(coldRounds, 2)
  return {
    tool: hyperfine === undefined ? "own spawn loop (hyperfine not found)" : "hyperfine -N",
    runsPerRound: options.runs,
    rounds: options.rounds,
    imports: importCommands.slice(1).map((command, index) => ({
      name: command.name,
      ms: spread(column(importRounds, index + 1)),
    })),
    coreVsEffect: spread(grantflow.map((value, round) => value / effect[round]!)),
    coldStart: coldCommands.map((command, index) => ({
      name: command.name,
      ms: spread(column(coldRounds, index)),
    })),
    coldVsOauth4webapi: spread(coldGrantflow.map((value, round) => value / coldOauth[round]!)),
  }
}
