/**
 * Heap per idle source: 10,000 holders of saved credentials, each kind in a fresh child process
 * with `--expose-gc`, measured with `process.memoryUsage().heapUsed` after full collections.
 *
 * @module
 */
import { execFile } from "node:child_process"
import { fileURLToPath } from "node:url"
import { promisify } from "node:util"

export interface IdleHeapRow {
  readonly kind: "plain" | "actor" | "grantflow"
  readonly label: string
  readonly bytesPerHolder: number
  readonly cpuMicrosPerCreate: number
}

const kinds = [
  { kind: "plain", label: "plain object (the credentials alone)" },
  { kind: "actor", label: "XState actor alone (machines.savedCredentials, started)" },
  { kind: "grantflow", label: "grantflow savedCredentials()" },
] as const

const run = promisify(execFile)

export const runIdleHeap = async (count: number): Promise<ReadonlyArray<IdleHeapRow>> => {
  const child = fileURLToPath(new URL("./idleHeapChild.js", import.meta.url))
  const rows: Array<IdleHeapRow> = []
  for (const { kind, label } of kinds) {
    const { stdout } = await run(process.execPath, ["--expose-gc", child, kind, String(count)], {
      maxBuffer: 1 << 20,
    })
    const figures = JSON.parse(stdout) as { bytesPerHolder: number; cpuMicrosPerCreate: number }
    rows.push({
      kind,
      label,
      bytesPerHolder: figures.bytesPerHolder,
      cpuMicrosPerCreate: figures.cpuMicrosPerCreate,
    })
  }
  return rows
}
