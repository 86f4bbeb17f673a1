/**
 * The `grantflow` command in a real terminal (tmux): `login --no-browser` prints the URL, the
 * user (played headlessly against the dev-server's pages) pastes back the URL the browser ended
 * on, and `grantflow token` then prints a token the API accepts. Runs the built bin: `pnpm test`
 * runs `tsc -b` first.
 */
import { execFile } from "node:child_process"
import { existsSync } from "node:fs"
import { mkdtemp } from "node:fs/promises"
import { tmpdir } from "node:os"
import { join } from "node:path"
import { promisify } from "node:util"
import { completeLogin, type DevServer, startDevServer } from "@grantflow/dev-server"
import { afterAll, beforeAll, describe, expect, it } from "vitest"

const run = promisify(execFile)
const bin = join(import.meta.dirname, "../dist/bin.js")
const session = `grantflow-test-${process.pid}`

const tmux = (...args: string[]) => run("tmux", args).then(({ stdout }) => stdout)
const screen = () => tmux("capture-pane", "-p", "-J", "-t", session)

/** Reads the terminal until `pattern` shows, as a person would. */
const waitFor = async (pattern: RegExp): Promise<RegExpExecArray> => {
  for (let attempt = 0; attempt < 300; attempt++) {
    const match = pattern.exec(await screen())
    if (match !== null) return match
    await new Promise((resolve) => setTimeout(resolve, 100))
  }
  throw new Error(`the terminal never showed ${pattern}:\n${await screen()}`)
}

describe("grantflow in a terminal", () => {
  let server: DevServer
  let home: string

  beforeAll(async () => {
    if (!existsSync(bin)) throw new Error(`${bin} is missing: run tsc -b first`)
    server = await startDevServer()
    home = await mkdtemp(join(tmpdir(), "grantflow-terminal-"))
    await tmux("new-session", "-d", "-s", session, "-x", "250", "-y", "50", "-e", `XDG_CONFIG_HOME=${home}`)
  })
  afterAll(async () => {
    await tmux("kill-session", "-t", session).catch(() => {})
    await server.stop()
  })

  it("login --no-browser with a pasted URL, then token prints a token the API takes", async () => {
    const me = `${server.resource}/me`
    await tmux(
      "send-keys",
      "-t",
      session,
      "-l",
      `node ${bin} login --issuer ${server.issuer} --client-id grantflow-cli --scope user-read-email --no-browser --me-url ${me}; echo "login-exit=$?"`,
    )
    await tmux("send-keys", "-t", session, "Enter")
    const [url] = await waitFor(/http:\/\/127\.0\.0\.1:\d+\/auth\?\S+/)
    expect(new URL(url).searchParams.get("code_challenge_method")).toBe("S256")
    // The browser is elsewhere: the user signs in there and copies the address it ends on.
    const callback = await completeLogin(url, { username: "frank" })
    await tmux("send-keys", "-t", session, "-l", callback)
    await tmux("send-keys", "-t", session, "Enter")
    await waitFor(/login-exit=0/)
    expect(await screen()).toContain("Logged in as frank")

    await tmux("send-keys", "-t", session, "clear; node ", bin, ' token; echo "token-exit=$?"', "Enter")
    const [, token] = await waitFor(/^(\S{20,})\ntoken-exit=0/m)
    const response = await fetch(me, { headers: { authorization: `Bearer ${token}` } })
    expect(await response.json()).toMatchObject({ id: "frank" })

    // Outside a terminal too, as in $(grantflow token); and status as JSON.
    const env = { ...process.env, XDG_CONFIG_HOME: home }
    expect((await run(process.execPath, [bin, "token"], { env })).stdout.trim()).toBe(token)
    const status = JSON.parse((await run(process.execPath, [bin, "status", "--json"], { env })).stdout)
    expect(status).toMatchObject({ loggedIn: true, user: "frank", scopes: ["user-read-email"] })
  })
})
