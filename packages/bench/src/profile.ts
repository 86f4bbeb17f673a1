/**
 * Where the client-credentials path spends its CPU: a V8 CPU profile of a long-lived source
 * whose token is always due (`profileChild.ts`), its self time summed per function and per
 * package (effect, xstate, undici, @grantflow/core, node internals, V8).
 *
 * @module
 */
import { execFile } from "node:child_process"
import { mkdir, readFile } from "node:fs/promises"
import { fileURLToPath } from "node:url"
import { promisify } from "node:util"
import { packageOf } from "./bundles.js"
import type { TokenServer } from "./server.js"

interface ProfileNode {
  readonly id: number
  readonly callFrame: {
    readonly functionName: string
    readonly url: string
    readonly lineNumber: number
  }
}

interface CpuProfile {
  readonly nodes: ReadonlyArray<ProfileNode>
  readonly samples: ReadonlyArray<number>
  readonly timeDeltas: ReadonlyArray<number>
}

export interface ProfileResult {
  readonly calls: number
  readonly file: string
  /** Busy (non-idle) main-thread time per call, in µs. */
  readonly busyMicrosPerCall: number
  readonly idleShare: number
  readonly byPackage: ReadonlyArray<{ readonly name: string; readonly share: number }>
  readonly topFunctions: ReadonlyArray<{
    readonly name: string
    readonly where: string
    readonly pkg: string
    readonly share: number
  }>
  /** The same profile of raw undici.request: what any Node HTTP client pays. */
  readonly reference: Pick<Summary, "busyMicrosPerCall" | "byPackage">
}

/** The package, or the engine part, a profile frame belongs to. */
export const ownerOf = (frame: ProfileNode["callFrame"]): string => {
  if (frame.url === "")
    return frame.functionName.startsWith("(")
      ? `V8 ${frame.functionName}`
      : "native (V8 builtins, Node bindings)"
  if (frame.url.startsWith("node:")) return "node (internals)"
  // undici's HTTP parser is llhttp compiled to WebAssembly.
  if (frame.url.startsWith("wasm:")) return "WebAssembly (undici's llhttp)"
  const path = frame.url.startsWith("file:") ? fileURLToPath(frame.url) : frame.url
  if (path.includes("packages/bench/")) return "bench harness"
  const owner = packageOf(path)
  return owner === "(entry)" ? path : owner
}

const shortWhere = (frame: ProfileNode["callFrame"]): string => {
  if (frame.url === "") return ""
  const path = frame.url.replace(/^file:\/\//, "")
  const dist = path.search(/\/(dist|src|lib|build)\//)
  const tail = dist === -1 ? path.split("/").slice(-2).join("/") : path.slice(dist + 1)
  return `${tail}:${frame.lineNumber + 1}`
}

interface Summary {
  readonly busyMicrosPerCall: number
  readonly idleShare: number
  readonly byPackage: ReadonlyArray<{ readonly name: string; readonly share: number }>
  readonly topFunctions: ProfileResult["topFunctions"]
}

/** Self time per function and package, as shares of the busy (non-idle) time. */
export const summarise = (profile: CpuProfile, calls: number): Summary => {
  const nodes = new Map(profile.nodes.map((node) => [node.id, node]))
  const selfTime = new Map<number, number>()
  profile.samples.forEach((id, index) => {
    selfTime.set(id, (selfTime.get(id) ?? 0) + (profile.timeDeltas[index] ?? 0))
  })
  let idle = 0
  let busy = 0
  const byPackage = new Map<string, number>()
  const byFunction = new Map<string, { name: string; where: string; pkg: string; micros: number }>()
  for (const [id, micros] of selfTime) {
    const frame = nodes.get(id)!.callFrame
    if (frame.functionName === "(idle)") {
      idle += micros
      continue
    }
    busy += micros
    const pkg = ownerOf(frame)
    byPackage.set(pkg, (byPackage.get(pkg) ?? 0) + micros)
    const key = `${frame.functionName}@${frame.url}:${frame.lineNumber}`
    const entry = byFunction.get(key) ?? {
      name: frame.functionName || "(anonymous)",
      where: shortWhere(frame),
      pkg,
      micros: 0,
    }
    entry.micros += micros
    byFunction.set(key, entry)
  }
  return {
    busyMicrosPerCall: busy / calls,
    idleShare: idle / (idle + busy),
    byPackage: [...byPackage]
      .sort((a, b) => b[1] - a[1])
      .map(([name, micros]) => ({ name, share: micros / busy })),
    topFunctions: [...byFunction.values()]
      .sort((a, b) => b.micros - a.micros)
      .slice(0, 20)
      .map(({ name, where, pkg, micros }) => ({ name, where, pkg, share: micros / busy })),
  }
}

const profileOf = async (server: TokenServer, subject: "grantflow" | "undici", calls: number) => {
  const dir = fileURLToPath(new URL("../results/", import.meta.url))
  await mkdir(dir, { recursive: true })
  const file = `${dir}${subject === "grantflow" ? "clientCredentials" : "rawUndici"}.cpuprofile`
  await promisify(execFile)(
    process.execPath,
    [fileURLToPath(new URL("./profileChild.js", import.meta.url)), file, String(calls), subject],
    { env: { ...process.env, TOKEN_URL: server.dueUrl } },
  )
  return summarise(JSON.parse(await readFile(file, "utf8")) as CpuProfile, calls)
}

export const runProfile = async (server: TokenServer, calls: number): Promise<ProfileResult> => {
  const grantflow = await profileOf(server, "grantflow", calls)
  const reference = await profileOf(server, "undici", calls)
  return {
    calls,
    file: "packages/bench/results/clientCredentials.cpuprofile",
    ...grantflow,
    reference: { busyMicrosPerCall: reference.busyMicrosPerCall, byPackage: reference.byPackage },
  }
}
