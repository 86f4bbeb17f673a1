#!/usr/bin/env node
// Runs the compiled README examples (<dir>/*.js, in name order) against a fresh dev-server. An
// example that prints `open <url>` is a login: the dev-server's headless login follows the URL,
// and the callback is delivered to the example's own server, as a browser would.
import { spawn } from "node:child_process"
import { readdirSync } from "node:fs"
import { join } from "node:path"
import { completeLogin, startDevServer } from "../../packages/dev-server/dist/index.js"

const [dir, cwd] = process.argv.slice(2)
if (dir === undefined || cwd === undefined) {
  console.error("usage: run-examples.mjs <compiled-examples-dir> <working-dir>")
  process.exit(2)
}
const server = await startDevServer({ port: 0 })
const { web } = server.clients
const env = {
  ...process.env,
  ISSUER: server.issuer,
  CLIENT_ID: web.clientId,
  CLIENT_SECRET: web.clientSecret,
}

const run = (file) =>
  new Promise((resolve, reject) => {
    const child = spawn(process.execPath, [join(dir, file)], {
      cwd,
      env,
      stdio: ["ignore", "pipe", "inherit"],
    })
    const timer = setTimeout(() => child.kill(), 30_000)
    let pending = ""
    child.stdout.on("data", (chunk) => {
      pending += chunk
      for (let end = pending.indexOf("\n"); end >= 0; end = pending.indexOf("\n")) {
        const line = pending.slice(0, end)
        pending = pending.slice(end + 1)
        const login = /^open (\S+)$/.exec(line)
        if (login === null) {
          console.log(`  ${file}: ${line}`)
          continue
        }
        console.log(`  ${file}: (a user signs in)`)
        completeLogin(login[1], { username: "reader" })
          .then((callbackUrl) => fetch(callbackUrl))
          .then((response) => console.log(`  ${file}: callback answered ${response.status}`))
          .catch(reject)
      }
    })
    child.on("exit", (code, signal) => {
      clearTimeout(timer)
      if (code === 0) resolve()
      else reject(new Error(`${file} exited with ${signal ?? code}`))
    })
  })

let failed = false
try {
  for (const file of readdirSync(dir)
    .filter((name) => name.endsWith(".js"))
    .sort())
    await run(file)
} catch (error) {
  console.error(error instanceof Error ? error.message : error)
  failed = true
} finally {
  await server.stop()
}
process.exit(failed ? 1 : 0)
