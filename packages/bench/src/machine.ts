/**
 * What the figures were measured on: the machine, the runtime and the versions of every package
 * in the comparison.
 *
 * @module
 */
import { readFile } from "node:fs/promises"
import { cpus, loadavg } from "node:os"

export interface MachineInfo {
  readonly date: string
  readonly cpu: string
  readonly cores: number
  readonly node: string
  readonly loadAverage: string
  readonly versions: ReadonlyArray<readonly [string, string]>
}

const measured = [
  "@grantflow/core",
  "effect",
  "@effect/platform",
  "xstate",
  "undici",
  "oauth4webapi",
  "simple-oauth2",
  "esbuild",
]

const versionOf = async (name: string): Promise<string> => {
  try {
    const manifest = await readFile(new URL(`../node_modules/${name}/package.json`, import.meta.url), "utf8")
    return (JSON.parse(manifest) as { version: string }).version
  } catch {
    return "?"
  }
}

/** The 1-minute load average now: how busy the machine was (others run tests here too). */
export const currentLoad = (): string => loadavg()[0]!.toFixed(1)

export const machineInfo = async (): Promise<MachineInfo> => ({
  date: new Date().toISOString().replace(/\.\d+Z$/, "Z"),
  cpu: cpus()[0]?.model ?? "unknown",
  cores: cpus().length,
  node: process.version,
  loadAverage: currentLoad(),
  versions: await Promise.all(measured.map(async (name) => [name, await versionOf(name)] as const)),
})
