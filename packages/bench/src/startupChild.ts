/**
 * Run by `startup.ts` once per timed process: `startupChild.js import <specifier>` imports one
 * module (`none` imports nothing: bare node); `startupChild.js first-token <peer>` imports a
 * client and gets one client-credentials token from TOKEN_URL. Everything is imported
 * dynamically so each run loads only what it measures.
 *
 * @module
 */
const [mode, name = "none"] = process.argv.slice(2)
const tokenUrl = process.env.TOKEN_URL ?? ""
const clientId = "bench-client"
const clientSecret = "bench-secret-0123456789"

const firstToken: Record<string, () => Promise<string>> = {
  fetch: async () => {
    const response = await fetch(tokenUrl, {
      method: "POST",
      headers: {
        authorization: `Basic ${btoa(`${clientId}:${clientSecret}`)}`,
        "content-type": "application/x-www-form-urlencoded;charset=UTF-8",
      },
      body: "grant_type=client_credentials",
    })
    return ((await response.json()) as { access_token: string }).access_token
  },
  grantflow: async () => {
    const { clientCredentials, defineProvider } = await import("@grantflow/core")
    const provider = defineProvider({ authorizationEndpoint: tokenUrl, tokenEndpoint: tokenUrl })
    const source = clientCredentials({ provider, clientId, clientSecret })
    const token = await source.getAccessToken()
    source.stop()
    return token
  },
  oauth4webapi: async () => {
    const oauth = await import("oauth4webapi")
    const server = { issuer: new URL(tokenUrl).origin, token_endpoint: tokenUrl }
    const client = { client_id: clientId }
    const response = await oauth.clientCredentialsGrantRequest(
      server,
      client,
      oauth.ClientSecretBasic(clientSecret),
      new URLSearchParams(),
      { [oauth.allowInsecureRequests]: true },
    )
    return (await oauth.processClientCredentialsResponse(server, client, response)).access_token
  },
  "simple-oauth2": async () => {
    const { ClientCredentials } = await import("simple-oauth2")
    const url = new URL(tokenUrl)
    const client = new ClientCredentials({
      client: { id: clientId, secret: clientSecret },
      auth: { tokenHost: url.origin, tokenPath: url.pathname },
    })
    return (await client.getToken({})).token.access_token
  },
}

if (mode === "import") {
  if (name !== "none") await import(name)
} else if (mode === "first-token") {
  const get = firstToken[name]
  if (get === undefined) throw new Error(`unknown peer ${name}`)
  if ((await get()) === "") throw new Error(`${name}: no access token`)
} else {
  throw new Error("usage: startupChild.js import <specifier> | first-token <peer>")
}

// Without hyperfine, the parent reads this process's CPU time (user + system, ms) from stdout.
if (process.env.BENCH_PRINT_CPU === "1") {
  process.on("exit", () => {
    const used = process.cpuUsage()
    process.stdout.write(String((used.user + used.system) / 1000))
  })
}
