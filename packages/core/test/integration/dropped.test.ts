import { spawn } from "node:child_process"
import { fileURLToPath } from "node:url"
import { describe, expect, it } from "vitest"

// In a child process with --expose-gc, so that the collector can be asked to run. Two token
// endpoints that keep connections open for a minute: one source is dropped without stop(), the
// other is kept. The dropped one's connection must close once it is collected; the kept one's
// stays. It runs the built package (`pnpm test` builds first with `tsc -b`).
const script = `
import { createServer } from "node:http"
import { clientCredentials, defineProvider } from ${JSON.stringify(fileURLToPath(new URL("../../dist/index.js", import.meta.url)))}

const tokenEndpoint = async () => {
  const open = new Set()
  const server = createServer((request, response) => {
    request.resume().on("end", () => {
      response.setHeader("content-type", "application/json")
      response.end(JSON.stringify({ access_token: "token", token_type: "Bearer", expires_in: 3600 }))
    })
  })
  server.keepAliveTimeout = 60_000
  server.on("connection", (socket) => {
    open.add(socket)
    socket.on("close", () => open.delete(socket))
  })
  await new Promise((resolve) => server.listen(0, "127.0.0.1", resolve))
  const url = \`http://127.0.0.1:\${server.address().port}\`
  const provider = defineProvider({ authorizationEndpoint: \`\${url}/authorize\`, tokenEndpoint: \`\${url}/token\` })
  return { open, server, provider }
}
const dropped = await tokenEndpoint()
const kept = await tokenEndpoint()
const start = async ({ provider }) => {
  const source = clientCredentials({ provider, clientId: "id", clientSecret: "secret" })
  await source.getAccessToken()
  return source
}
await start(dropped)
const keptSource = await start(kept)
const before = { dropped: dropped.open.size, kept: kept.open.size }
for (let round = 0; round < 100 && dropped.open.size > 0; round++) {
  globalThis.gc()
  await new Promise((resolve) => setTimeout(resolve, 20))
}
console.log(JSON.stringify({ before, after: { dropped: dropped.open.size, kept: kept.open.size } }))
keptSource.stop()
process.exit(0)
`

describe("a source dropped without stop()", () => {
  it("closes its keep-alive connections once collected; a kept source keeps its own", async () => {
    const child = spawn(process.execPath, ["--expose-gc", "--input-type=module", "-e", script], {
      stdio: ["ignore", "pipe", "inherit"],
    })
    let output = ""
    child.stdout.setEncoding("utf8").on("data", (chunk: string) => {
      output += chunk
    })
    const code = await new Promise((resolve) => child.on("exit", resolve))
    expect(code).toBe(0)
    expect(JSON.parse(output)).toEqual({ before: { dropped: 1, kept: 1 }, after: { dropped: 0, kept: 1 } })
  }, 30_000)
})
