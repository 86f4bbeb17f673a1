/**
 * `pnpm demo:express`: the dev-server and the Express demo in one process, or the demo against
 * Spotify when SPOTIFY_CLIENT_ID and SPOTIFY_CLIENT_SECRET are set.
 */
import { randomBytes } from "node:crypto"
import { clientCredentials, discoverProvider, type Provider, providers } from "@grantflow/core"
import { startDevServer } from "@grantflow/dev-server"
import { createDemoApp, type DemoOptions } from "./app.js"

const port = Number(process.env.PORT ?? 3000)
// Spotify accepts loopback redirect URIs only as 127.0.0.1 (not localhost), so the demo uses it too.
const baseUrl = `http://127.0.0.1:${port}`
const secret = process.env.SESSION_SECRET ?? randomBytes(32).toString("base64url")

const spotify = async (clientId: string, clientSecret: string): Promise<DemoOptions> => ({
  provider: providers.spotify as Provider<string>,
  providerName: "Spotify",
  clientId,
  clientSecret,
  scopes: ["user-read-private", "user-read-email"],
  baseUrl,
  secret,
  apiBase: "https://api.spotify.com/v1",
  appOnly: clientCredentials({ provider: providers.spotify, clientId, clientSecret }),
})

const devServer = async (): Promise<DemoOptions & { stop: () => Promise<void> }> => {
  const server = await startDevServer({
    port: Number(process.env.DEV_SERVER_PORT ?? 4000),
    clients: [
      {
        client_id: "grantflow-express-demo",
        client_secret: "grantflow-express-demo-local-development-secret",
        token_endpoint_auth_method: "client_secret_basic",
        grant_types: ["authorization_code", "refresh_token", "client_credentials"],
        response_types: ["code"],
        redirect_uris: [`${baseUrl}/callback`],
      },
    ],
    accessTokenTtl: Number(process.env.ACCESS_TOKEN_TTL ?? 120),
  })
  const provider = (await discoverProvider(server.issuer)) as Provider<string>
  const client = {
    clientId: "grantflow-express-demo",
    clientSecret: "grantflow-express-demo-local-development-secret",
  }
  return {
    provider,
    providerName: `the local dev-server (${server.issuer})`,
    ...client,
    scopes: ["user-read-private", "user-read-email"],
    baseUrl,
    secret,
    apiBase: `${server.issuer}/v1`,
    appOnly: clientCredentials({ provider, ...client }),
    stop: () => server.stop(),
  }
}

const { SPOTIFY_CLIENT_ID, SPOTIFY_CLIENT_SECRET } = process.env
const options: DemoOptions & { stop?: () => Promise<void> } =
  SPOTIFY_CLIENT_ID && SPOTIFY_CLIENT_SECRET
    ? await spotify(SPOTIFY_CLIENT_ID, SPOTIFY_CLIENT_SECRET)
    : await devServer()

const listener = createDemoApp(options).listen(port, "127.0.0.1", () => {
  console.log(`grantflow Express demo (${options.providerName})`)
  console.log("")
  console.log(`  open ${baseUrl}/`)
  console.log("")
  console.log("  Ctrl+C stops it")
})
listener.on("error", (error) => {
  console.error(`The demo could not listen on ${baseUrl}: ${error.message}. Set PORT to use another port.`)
  process.exit(1)
})

const stop = () => {
  options.appOnly.stop()
  listener.close()
  listener.closeAllConnections()
  void (options.stop?.() ?? Promise.resolve()).then(() => process.exit(0))
}
process.on("SIGINT", stop)
process.on("SIGTERM", stop)
