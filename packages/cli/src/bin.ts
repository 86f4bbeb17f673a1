#!/usr/bin/env node
/**
 * The `grantflow` command. `grantflow token` runs inside scripts (`$(grantflow token)`), so its
 * cost is a process start: when the stored token is still valid it is read and printed here,
 * with Node built-ins only, before the parser, Effect or xstate are loaded. Everything else
 * (renewal included) loads the commands on demand.
 */
import { readFileSync } from "node:fs"
import { join } from "node:path"
import { defaultDirectory } from "./internal/configDirectory.js"

// As the core's default renewal margin: a token this close to expiry is renewed, not printed.
const marginMs = 60_000

const fastToken = (argv: ReadonlyArray<string>): boolean => {
  if (argv[0] !== "token") return false
  let profile = "default"
  if (argv.length === 3 && argv[1] === "--profile") profile = argv[2]!
  else if (argv.length === 2 && argv[1]!.startsWith("--profile="))
    profile = argv[1]!.slice("--profile=".length)
  else if (argv.length !== 1) return false
  if (!/^[A-Za-z0-9_-]{1,64}$/.test(profile)) return false
  try {
    const record = JSON.parse(readFileSync(join(defaultDirectory(), `${profile}.json`), "utf8")) as {
      readonly accessToken?: unknown
      readonly expiresAt?: unknown
    }
    const token = record.accessToken
    if (typeof token !== "string" || !/^[\x21-\x7E]+$/.test(token)) return false
    if (typeof record.expiresAt !== "number" || record.expiresAt - Date.now() < marginMs) return false
    process.stdout.write(`${token}\n`)
    return true
  } catch {
    // Anything unusual (no file, a broken one) is the full command's to explain.
    return false
  }
}

const argv = process.argv.slice(2)
if (!fastToken(argv)) {
  const { main } = await import("./internal/commands.js")
  const code = await main(argv)
  // Exit at once (keep-alive sockets would hold the process for seconds), but only once the
  // output is flushed: pipes are asynchronous on macOS and Windows.
  const flushed = (stream: NodeJS.WriteStream) => new Promise((resolve) => stream.write("", resolve))
  await Promise.all([flushed(process.stdout), flushed(process.stderr)])
  process.exit(code)
}
