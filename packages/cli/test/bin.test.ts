/**
 * The `grantflow` bin outside a terminal, as scripts run it: a device login, the token's fast
 * path and its renewal, curl, logout, and the documented exit codes. Runs the built bin: `pnpm
 * test` runs `tsc -b` first.
 */
import { type ChildProcess, execFile, spawn } from "node:child_process"
import { existsSync } from "node:fs"
import { mkdtemp, readFile, writeFile } from "node:fs/promises"
import { tmpdir } from "node:os"
import { join } from "node:path"
import { approveDeviceCode, type DevServer, startDevServer } from "@grantflow/dev-server"
import { afterAll, beforeAll, describe, expect, it } from "vitest"

const bin = join(import.meta.dirname, "../dist/bin.js")

interface Result {
  readonly code: number
  readonly stdout: string
  readonly stderr: string
}

describe("the grantflow bin", () => {
  let server: DevServer
  let env: NodeJS.ProcessEnv
  let home: string

  const grantflow = (...args: string[]) =>
    new Promise<Result>((resolve) => {
      execFile(process.execPath, [bin, ...args], { env }, (error, stdout, stderr) =>
        resolve({ code: error === null ? 0 : Number(error.code), stdout, stderr }),
      )
    })

  /** Collects a running command's stderr until `pattern` shows. */
  const waitForStderr = (child: ChildProcess, pattern: RegExp) =>
    new Promise<RegExpExecArray>((resolve) => {
      let text = ""
      child.stderr!.on("data", (chunk: Buffer) => {
        text += chunk.toString()
        const match = pattern.exec(text)
        if (match !== null) resolve(match)
      })
    })

  beforeAll(async () => {
    if (!existsSync(bin)) throw new Error(`${bin} is missing: run tsc -b first`)
    server = await startDevServer({ deviceFlow: { interval: 1 } })
    home = await mkdtemp(join(tmpdir(), "grantflow-bin-"))
    // Files, whatever this machine offers: the test reads and edits the stored token.
    env = { ...process.env, XDG_CONFIG_HOME: home, GRANTFLOW_STORE: "file" }
  })
  afterAll(() => server.stop())

  it("documents its exit codes: 2 for usage, 3 when not logged in", async () => {
    expect((await grantflow()).code).toBe(2)
    expect((await grantflow("frobnicate")).code).toBe(2)
    const help = await grantflow("login", "--help")
    expect(help.code).toBe(0)
    for (const flag of [
      "--issuer",
      "--provider",
      "--client-id",
      "--scope",
      "--device",
      "--no-browser",
      "--port",
    ]) {
      expect(help.stdout).toContain(flag)
    }
    expect((await grantflow("login", "--client-id", "x")).code).toBe(2)
    expect((await grantflow("token", "--profile", "nobody")).code).toBe(3)
    const status = await grantflow("status", "--json", "--profile", "nobody")
    expect(status.code).toBe(3)
    expect(JSON.parse(status.stdout)).toEqual({ loggedIn: false, profile: "nobody" })
  })

  it("login --device, token (fast, then renewed when due), curl, logout", async () => {
    const child = spawn(
      process.execPath,
      [
        bin,
        "login",
        "--issuer",
        server.issuer,
        "--client-id",
        "grantflow-cli",
        "--scope",
        "user-read-email",
        "--device",
        "--me-url",
        `${server.resource}/me`,
      ],
      { env, stdio: ["ignore", "pipe", "pipe"] },
    )
    const exited = new Promise<number | null>((resolve) => child.once("exit", resolve))
    const [, userCode, uri] = await waitForStderr(child, /code: (\S+)\nThen open (\S+) in a browser/)
    expect(await approveDeviceCode(uri!, userCode!, { username: "gina" })).toBe("approved")
    expect(await exited).toBe(0)

    const first = await grantflow("token")
    expect(first.code).toBe(0)
    const token = first.stdout.trim()
    const me = await fetch(`${server.resource}/me`, { headers: { authorization: `Bearer ${token}` } })
    expect(await me.json()).toMatchObject({ id: "gina" })

    // An expired token is renewed (the full command, under the store's lock) and saved.
    const file = join(home, "grantflow", "default.json")
    const stored = JSON.parse(await readFile(file, "utf8"))
    await writeFile(file, JSON.stringify({ ...stored, expiresAt: Date.now() - 1000 }))
    server.counters.reset()
    const renewed = (await grantflow("token")).stdout.trim()
    expect(renewed).not.toBe(token)
    expect(server.counters.tokenRequests.refresh_token).toBe(1)
    expect(JSON.parse(await readFile(file, "utf8")).accessToken).toBe(renewed)

    const status = JSON.parse((await grantflow("status", "--json")).stdout)
    expect(status.store).toMatchObject({ kind: "file" })

    const curl = await grantflow("curl", `${server.resource}/me`)
    expect(curl.code).toBe(0)
    expect(JSON.parse(curl.stdout)).toMatchObject({ id: "gina" })
    expect((await grantflow("curl", `${server.resource}/nowhere`)).code).toBe(1)

    const logout = await grantflow("logout", "--json")
    expect(JSON.parse(logout.stdout)).toEqual({ loggedIn: false, profile: "default", revoked: true })
    expect(server.counters.revocations).toBe(1)
    expect((await grantflow("token")).code).toBe(3)
  })
})
