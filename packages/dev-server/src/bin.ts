#!/usr/bin/env node
import { parseArgs } from "node:util"
import { startDevServer } from "./DevServer.js"

const usage = `Usage: grantflow-dev-server [--port <port>] [--host <host>] [--access-token-ttl <seconds>]

Starts grantflow's local OAuth 2.0 authorization server. LOCAL DEVELOPMENT ONLY.
The port comes from --port, else the PORT environment variable, else 4000.`

const parse = () => {
  try {
    return parseArgs({
      options: {
        port: { type: "string" },
        host: { type: "string" },
        "access-token-ttl": { type: "string" },
        help: { type: "boolean", short: "h" },
      },
    }).values
  } catch (error) {
    console.error(`${error instanceof Error ? error.message : String(error)}\n\n${usage}`)
    process.exit(2)
  }
}
const values = parse()

if (values.help === true) {
  console.log(usage)
  process.exit(0)
}

const whole = (
  name: string,
  text: string | undefined,
  fallback: number,
  min: number,
  max: number,
): number => {
  if (text === undefined || text === "") return fallback
  const value = Number(text)
  if (!Number.isInteger(value) || value < min || value > max) {
    console.error(`${name} must be a whole number in range, not ${JSON.stringify(text)}\n\n${usage}`)
    process.exit(2)
  }
  return value
}

const port = whole("--port", values.port ?? process.env.PORT, 4000, 0, 65535)
const accessTokenTtl = whole("--access-token-ttl", values["access-token-ttl"], 3600, 1, 365 * 24 * 60 * 60)

const server = await startDevServer({
  port,
  ...(values.host === undefined ? {} : { host: values.host }),
  accessTokenTtl,
}).catch((error: unknown): never => {
  console.error(
    `grantflow dev server could not start: ${error instanceof Error ? error.message : String(error)}`,
  )
  process.exit(1)
})

const major = Number(process.versions.node.split(".")[0])
const lines = [
  "grantflow dev server: LOCAL DEVELOPMENT ONLY, never use it in production",
  "",
  `  issuer     ${server.issuer}`,
  `  metadata   ${server.metadataUrl}`,
  `  resource   ${server.issuer}/v1/me  (Bearer access token)`,
  "",
  "  clients (the secrets are fixed demo values for local development only):",
  ...Object.values(server.clients).map(
    (c) =>
      `    ${c.clientId.padEnd(18)} ${c.clientSecret === undefined ? "public (PKCE)" : `secret ${c.clientSecret}`}`,
  ),
  "",
  "  sign in with any user name; Ctrl+C stops the server",
]
if (major < 22) {
  lines.push(
    "",
    `  note: oidc-provider 9 asks for Node 22+; its "Unsupported runtime" warning is hidden because`,
    `  grantflow supports Node 20.19+ and this server's features are tested on it (you run ${process.version}).`,
  )
}
let stopping = false
const stop = (signal: NodeJS.Signals) => {
  if (stopping) return
  stopping = true
  console.log(`\n${signal}: stopping`)
  server.stop().then(
    () => process.exit(0),
    (error: unknown) => {
      console.error(error)
      process.exit(1)
    },
  )
}
// Listening before the banner: whoever reads "Ctrl+C stops the server" may send it at once.
// `on`, not `once`: a Ctrl+C under pnpm arrives twice (the terminal's, then pnpm's forward).
process.on("SIGINT", stop)
process.on("SIGTERM", stop)
console.log(lines.join("\n"))
