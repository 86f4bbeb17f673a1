/**
 * Renders one run's figures as the markdown of REPORT.md, with the issue's goals checked against
 * them.
 *
 * @module
 */
import type { BundleRow } from "./bundles.js"
import type { CachedReadsResult } from "./cachedReads.js"
import type { HerdResult } from "./herd.js"
import type { IdleHeapRow } from "./idleHeap.js"
import type { MachineInfo } from "./machine.js"
import type { ProfileResult } from "./profile.js"
import type { StartupResult } from "./startup.js"
import { formatRange, formatSpread, type Spread } from "./stats.js"
import type { ThroughputResult } from "./throughput.js"
import { grantflowSource, grantflowTokenEndpoint } from "./tokenClients.js"

export interface RunResults {
  readonly machine: MachineInfo
  readonly loadAtEnd: string
  readonly seconds: number
  readonly settings: string
  readonly throughput: ThroughputResult
  readonly cached: CachedReadsResult
  readonly herd: HerdResult
  readonly idleHeap: ReadonlyArray<IdleHeapRow>
  readonly startup: StartupResult
  readonly bundles: ReadonlyArray<BundleRow>
  readonly profile: ProfileResult
}

// Padded as Biome formats markdown tables, so the generated file passes `pnpm lint` as written.
const table = (header: ReadonlyArray<string>, rows: ReadonlyArray<ReadonlyArray<string>>): string => {
  const widths = header.map((cell, index) =>
    Math.max(cell.length, 3, ...rows.map((row) => row[index]!.length)),
  )
  const line = (cells: ReadonlyArray<string>) =>
    `| ${cells.map((cell, index) => cell.padEnd(widths[index]!)).join(" | ")} |`
  return [line(header), line(widths.map((width) => "-".repeat(width))), ...rows.map(line)].join("\n")
}

const percent = (share: number) => `${(share * 100).toFixed(1)}%`
const kb = (bytes: number) => `${(bytes / 1024).toFixed(1)} KB`
const verdict = (met: boolean) => (met ? "**met**" : "not met")

const rowNamed = (results: RunResults, name: string) =>
  results.throughput.rows.find((row) => row.name === name)!

/** One line per goal of the issue: what it asks, what this run measured, and whether it holds. */
export const goals = (results: RunResults): ReadonlyArray<ReadonlyArray<string>> => {
  const heap = results.idleHeap.find((row) => row.kind === "grantflow")!
  const source = rowNamed(results, grantflowSource.name)
  const endpoint = rowNamed(results, grantflowTokenEndpoint.name)
  const [sequential, inFlight] = results.throughput.modes
  const perMode = (figure: (mode: number) => Spread, digits: number, suffix: string) =>
    `${sequential}: ${formatSpread(figure(0), digits)}${suffix}; ${inFlight}: ${formatSpread(figure(1), digits)}${suffix}`
  const bothModes = (holds: (mode: number) => boolean) => holds(0) && holds(1)
  return [
    [
      "heap per idle source (10,000 `savedCredentials`)",
      "≤ 8 KB, ≤ 50 µs to create",
      `${heap.bytesPerHolder.toFixed(0)} B; ${heap.cpuMicrosPerCreate.toFixed(0)} µs CPU to create`,
      verdict(heap.bytesPerHolder <= 8192 && heap.cpuMicrosPerCreate <= 50),
    ],
    [
      "client CPU per token request (source always due) vs oauth4webapi",
      "≤ 1.00× oauth4webapi's CPU",
      perMode((mode) => source.modes[mode]!.cpuVsOauth4webapi, 2, "×"),
      verdict(bothModes((mode) => source.modes[mode]!.cpuVsOauth4webapi.median <= 1)),
    ],
    [
      "token requests/s (source always due) vs raw fetch",
      "≥ 1.2× raw fetch",
      perMode((mode) => source.modes[mode]!.vsFetch, 2, "×"),
      verdict(bothModes((mode) => source.modes[mode]!.vsFetch.median >= 1.2)),
    ],
    [
      "`TokenEndpoint.request` alone, requests/s vs raw fetch",
      "≥ 1.3× raw fetch",
      perMode((mode) => endpoint.modes[mode]!.vsFetch, 2, "×"),
      verdict(bothModes((mode) => endpoint.modes[mode]!.vsFetch.median >= 1.3)),
    ],
    [
      '`import("@grantflow/core")` above bare node',
      "≤ 1.3× `effect/Effect` alone",
      `${formatSpread(results.startup.coreVsEffect, 2)}× (${results.startup.imports[1]!.ms.median.toFixed(0)} ms vs ${results.startup.imports[0]!.ms.median.toFixed(0)} ms); by CPU time ${results.startup.coreVsEffectCpu.median.toFixed(2)}×`,
      verdict(results.startup.coreVsEffect.median <= 1.3),
    ],
    [
      "cold start to first token",
      "≤ 2× oauth4webapi",
      `${formatSpread(results.startup.coldVsOauth4webapi, 2)}× (${results.startup.coldStart[1]!.ms.median.toFixed(0)} ms vs ${results.startup.coldStart[2]!.ms.median.toFixed(0)} ms); by CPU time ${results.startup.coldVsOauth4webapiCpu.median.toFixed(2)}×`,
      verdict(results.startup.coldVsOauth4webapi.median <= 2),
    ],
    [
      "cached `getAccessToken()` / `peekAccessToken()`",
      "keep (issue: 153 ns / 43 ns)",
      `${results.cached.getAccessTokenNs.median.toFixed(0)} ns / ${results.cached.peekAccessTokenNs.median.toFixed(0)} ns`,
      "see below",
    ],
    [
      `${results.herd.callers.toLocaleString("en")} callers on an expired token`,
      "1 request; ≤ 1.2× hand-written single flight",
      `${results.herd.grantflowRequests} request; ${formatSpread(results.herd.ratio, 2)}×`,
      verdict(results.herd.grantflowRequests === 1 && results.herd.ratio.median <= 1.2),
    ],
  ]
}

export const renderReport = (results: RunResults): string => {
  const { machine, throughput, cached, herd, startup, profile } = results
  const out: Array<string> = []
  out.push(
    "# grantflow benchmark report",
    "",
    "Generated by `npx -y pnpm@10.34.8 bench` (packages/bench/src/run.ts) from the built packages; do not edit by hand.",
    "",
    `- date: ${machine.date}; the whole run took ${results.seconds.toFixed(0)} s`,
    `- machine: ${machine.cpu}, ${machine.cores} cores, load average ${machine.loadAverage} at the start and ${results.loadAtEnd} at the end (other jobs share it: read ratios, not single figures)`,
    `- node ${machine.node}; ${machine.versions.map(([name, version]) => `${name} ${version}`).join(", ")}`,
    `- settings: ${results.settings}`,
    "",
    "Every ratio is taken within one round against a baseline measured in the same round; tables give the median and, in brackets or as a range, the min–max over rounds.",
    "",
    "## Goals (issue 8)",
    "",
    table(["figure", "goal", "this run", "verdict"], goals(results)),
    "",
    "## Token requests: what a client pays per request",
    "",
    "Client credentials against a loopback token server in a child process (so its CPU is not the client's). " +
      "Every call is one token request (the server's count is checked after each measurement). " +
      "grantflow's source has a token that is always due (it lives 1 ms, `expires_in: 0.001`, and the source reads a clock that moves 1 ms at every reading), so each `getAccessToken()` " +
      `runs the whole path: machine, renewal actor, Effect runtime, HTTP, decoding. With ${throughput.modes[1]} each worker holds its own client (and so its own grantflow source). ` +
      "CPU is this process's user + system time per request, GC threads included.",
    "",
  )
  throughput.modes.forEach((mode, index) => {
    out.push(
      `### ${mode}`,
      "",
      table(
        [
          "candidate",
          "requests/s",
          "×raw fetch (min–max)",
          "client CPU µs/request",
          "CPU ×oauth4webapi (min–max)",
        ],
        throughput.rows.map((row) => {
          const figures = row.modes[index]!
          return [
            row.name,
            figures.opsPerSecond.median.toFixed(0),
            `${figures.vsFetch.median.toFixed(2)} (${formatRange(figures.vsFetch, 2)})`,
            formatSpread(figures.cpuMicrosPerOp, 0),
            `${figures.cpuVsOauth4webapi.median.toFixed(2)} (${formatRange(figures.cpuVsOauth4webapi, 2)})`,
          ]
        }),
      ),
      "",
    )
  })
  out.push(
    "## Cached reads",
    "",
    "A source holding a valid token. `getAccessToken()` is awaited, as callers do; the baseline of each round is the hand-written cache: awaiting a held promise; returning a held token after checking its expiry against `Date.now()`.",
    "",
    table(
      ["read", "ns/call", "×hand-written (min–max)"],
      [
        [
          "`await getAccessToken()`",
          formatSpread(cached.getAccessTokenNs, 0),
          formatSpread(cached.getVsHeldPromise, 2),
        ],
        [
          "`peekAccessToken()`",
          formatSpread(cached.peekAccessTokenNs, 1),
          formatSpread(cached.peekVsHandWritten, 2),
        ],
      ],
    ),
    "",
    "## Thundering herd",
    "",
    `${herd.callers.toLocaleString("en")} callers ask one long-lived source at once while its token is due; warm (after warm-up herds). The baseline is a hand-written single flight over raw fetch (one shared promise, dropped when it settles).`,
    "",
    table(
      ["contender", "ms per herd", "token requests per herd", "×hand-written (min–max)"],
      [
        [
          "grantflow `getAccessToken()`",
          formatSpread(herd.grantflowMs, 1),
          String(herd.grantflowRequests),
          formatSpread(herd.ratio, 2),
        ],
        [
          "hand-written single flight over fetch",
          formatSpread(herd.handWrittenMs, 1),
          String(herd.handWrittenRequests),
          "1.00",
        ],
      ],
    ),
    "",
    "## Heap per idle source",
    "",
    "10,000 holders of one user's saved credentials (fresh strings each), each kind in its own child process started with `--expose-gc`; `process.memoryUsage().heapUsed` after full collections, and the CPU time spent creating them.",
    "",
    table(
      ["holder", "heap per holder", "CPU µs to create one"],
      results.idleHeap.map((row) => [
        row.label,
        `${row.bytesPerHolder.toFixed(0)} B`,
        row.cpuMicrosPerCreate.toFixed(1),
      ]),
    ),
    "",
    "## Import time and cold start",
    "",
    `One fresh \`node\` process per run, timed with ${startup.tool}: ${startup.rounds} rounds of ${startup.runsPerRound} runs per command. Wall time is a command's median run, CPU time (user + system, which waiting for a core does not inflate) its mean; import cost is the figure above bare node (the same script importing nothing) in the same round. Ratios are of wall time.`,
    "",
    table(
      ["import", "wall ms above bare node", "CPU ms above bare node"],
      startup.imports.map((row) => [`\`${row.name}\``, formatSpread(row.ms, 0), formatSpread(row.cpuMs, 0)]),
    ),
    "",
    `\`@grantflow/core\` over \`effect/Effect\` alone: ${formatSpread(startup.coreVsEffect, 2)}× by wall time, ${formatSpread(startup.coreVsEffectCpu, 2)}× by CPU time.`,
    "",
    "Cold start: node starts, imports the client, gets one client-credentials token from the loopback server, exits.",
    "",
    table(
      ["client", "wall ms, start to exit", "CPU ms"],
      startup.coldStart.map((row) => [row.name, formatSpread(row.ms, 0), formatSpread(row.cpuMs, 0)]),
    ),
    "",
    `grantflow over oauth4webapi: ${formatSpread(startup.coldVsOauth4webapi, 2)}× by wall time, ${formatSpread(startup.coldVsOauth4webapiCpu, 2)}× by CPU time.`,
    "",
    "## Browser bundle size",
    "",
    "esbuild, bundle + minify, platform browser (core's fetch layer, no Node built-ins), then gzip -9. The budget check is `npx -y pnpm@10.34.8 --filter @grantflow/bench size` (packages/bench/size-budget.json).",
    "",
    table(
      ["bundle", "minified", "gzip -9", "largest parts (minified)"],
      results.bundles.map((row) => [
        row.name,
        kb(row.minifiedBytes),
        kb(row.gzipBytes),
        row.byPackage
          .slice(0, 4)
          .map(([name, bytes]) => `${name} ${kb(bytes)}`)
          .join(", "),
      ]),
    ),
    "",
    "## Where the time goes (client credentials, token always due)",
    "",
    `A V8 CPU profile (sampling every 100 µs) of ${profile.calls.toLocaleString("en")} sequential \`getAccessToken()\` calls on one warm source; ` +
      `${profile.busyMicrosPerCall.toFixed(0)} µs of main-thread CPU per call (the profiler's own sampling inflates it), the thread idle ${percent(profile.idleShare)} of the time (waiting on the server). ` +
      `Shares are of busy time; the profile is written to \`${profile.file}\` (open it in Chrome DevTools or speedscope).`,
    "",
    table(
      ["package", "self time"],
      profile.byPackage.filter((row) => row.share >= 0.005).map((row) => [row.name, percent(row.share)]),
    ),
    "",
    `For reference, raw \`undici.request\` profiled the same way (\`packages/bench/results/rawUndici.cpuprofile\`): ${profile.reference.busyMicrosPerCall.toFixed(0)} µs of main-thread CPU per call; ` +
      profile.reference.byPackage
        .filter((row) => row.share >= 0.02)
        .map((row) => `${row.name} ${percent(row.share)}`)
        .join(", ") +
      ".",
    "",
    "Top functions by self time:",
    "",
    table(
      ["function", "package", "where", "self time"],
      profile.topFunctions.map((row) => [`\`${row.name}\``, row.pkg, row.where, percent(row.share)]),
    ),
    "",
  )
  return out.join("\n")
}
