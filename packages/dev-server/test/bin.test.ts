import { spawn } from "node:child_process"
import { once } from "node:events"
import { fileURLToPath } from "node:url"
import { describe, expect, it } from "vitest"

// The committed shim runs the built bin (`pnpm test` builds first with `tsc -b`).
const bin = fileURLToPath(new URL("../bin/grantflow-dev-server.js", import.meta.url))

describe("the grantflow-dev-server bin", () => {
  it("stops cleanly on Ctrl+C even when the signal arrives twice (the terminal's and pnpm's)", async () => {
    const child = spawn(process.execPath, [bin, "--port", "0"], { stdio: ["ignore", "pipe", "pipe"] })
    let output = ""
    child.stdout.setEncoding("utf8")
    await new Promise<void>((resolve, reject) => {
      child.stdout.on("data", (chunk: string) => {
        output += chunk
        if (output.includes("Ctrl+C stops the server")) resolve()
      })
      child.once("exit", () => reject(new Error(`the bin exited early:\n${output}`)))
    })
    const exited = once(child, "exit")
    child.kill("SIGINT")
    child.kill("SIGINT")
    const [code, signal] = await exited
    expect({ code, signal }).toEqual({ code: 0, signal: null })
    expect(output).toContain("SIGINT: stopping")
  }, 30_000)
})
