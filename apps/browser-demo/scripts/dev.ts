/**
 * `pnpm demo:browser`: the local authorization server on :4000 and the SPA on :5173, together.
 * Access tokens live 60 s, so the countdown and renewal show within a minute.
 */
import { startDevServer } from "@grantflow/dev-server"
import { createServer } from "vite"

const server = await startDevServer({ port: 4000, accessTokenTtl: 60 })
process.env.VITE_GRANTFLOW_ISSUER = server.issuer
const vite = await createServer({ root: new URL("..", import.meta.url).pathname, logLevel: "warn" })
await vite.listen()

console.log(`grantflow dev server (local development only): ${server.issuer}`)
console.log(
  `browser demo: http://127.0.0.1:${vite.config.server.port}/  (open it in several tabs; Ctrl-C stops both)`,
)

const stop = async () => {
  await Promise.allSettled([vite.close(), server.stop()])
  process.exit(0)
}
process.on("SIGINT", stop)
process.on("SIGTERM", stop)
