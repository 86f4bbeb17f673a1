/**
 * grantflow's quickstart: starts the local authorization server and walks through every flow
 * against it, printing what happens. Tokens are never printed, only what they let us do.
 *
 *   npx -y pnpm@10.34.8 demo            (from the repository root)
 */

import {
  authorizationCode,
  type Credentials,
  clientCredentials,
  discoverProvider,
  savedCredentials,
  staticToken,
} from "@grantflow/core"
import { completeLogin, startDevServer } from "@grantflow/dev-server"

const step = (title: string) => console.log(`\n▸ ${title}`)
const say = (line: string) => console.log(`  ${line}`)
const sleep = (ms: number) => new Promise((resolve) => setTimeout(resolve, ms))

// Short-lived tokens, so the demo shows renewal within seconds.
const accessTokenTtl = 4

const main = async () => {
  step("Starting the local authorization server (oidc-provider, local development only)")
  const server = await startDevServer({ accessTokenTtl })
  say(`issuer ${server.issuer}, access tokens live ${accessTokenTtl} s`)
  try {
    step("Discovering it from its issuer (RFC 8414)")
    const provider = await discoverProvider(server.issuer)
    say(`token endpoint ${provider.tokenEndpoint}`)
    say(`sends iss in callbacks (RFC 9207): ${provider.authorizationResponseIssParameterSupported}`)

    step("Client credentials: app-only data, as a backend would fetch Spotify's catalog")
    const service = server.clients.service
    const app = clientCredentials({
      provider,
      clientId: service.clientId,
      clientSecret: service.clientSecret!,
    })
    const markets = await app.fetch(`${server.issuer}/v1/markets`)
    say(
      `GET /v1/markets → ${markets.status}; token requests so far: ${server.counters.tokenRequests.client_credentials}`,
    )
    app.stop()

    step("Authorization code with PKCE, as a SPA or CLI logs a user in (no client secret)")
    const spa = server.clients.spa
    const { url, pending } = await authorizationCode.begin({
      provider,
      clientId: spa.clientId,
      redirectUri: spa.redirectUris[0]!,
      scopes: ["user-read-email", "user-read-private"],
    })
    say(
      `authorization URL: ${new URL(url).origin}${new URL(url).pathname}?… (state and S256 challenge attached)`,
    )
    say("logging in as 'alice' through the server's own pages (driven headlessly for the demo)")
    const callbackUrl = await completeLogin(url, { username: "alice" })
    const user = await authorizationCode.complete({ provider, clientId: spa.clientId, pending, callbackUrl })
    const me = (await (await user.fetch(`${server.issuer}/v1/me`)).json()) as {
      display_name?: string
      email?: string
    }
    say(`GET /v1/me → ${me.display_name} <${me.email}>`)
    const saved = await user.getCredentials()
    user.stop()

    step("Saved credentials: resuming them, renewing before expiry, rotating refresh tokens")
    let rotations = 0
    const resumed = savedCredentials({
      provider,
      clientId: spa.clientId,
      credentials: saved,
      onCredentialsRefreshed: (next: Credentials) => {
        rotations++
        say(
          `onCredentialsRefreshed: new credentials saved (rotation #${rotations}, scopes ${next.scopes.join(" ")})`,
        )
      },
    })
    const unsubscribe = resumed.subscribe((snapshot) => say(`state → ${snapshot.status}`))
    for (let call = 1; call <= 2; call++) {
      say(`waiting ${accessTokenTtl / 2 + 0.2} s for the token to be due…`)
      await sleep((accessTokenTtl / 2 + 0.2) * 1000)
      const calls = await Promise.all(
        Array.from({ length: 50 }, () => resumed.fetch(`${server.issuer}/v1/me`)),
      )
      say(`50 concurrent calls → ${calls.filter((r) => r.ok).length} × 200`)
    }
    say(
      `refresh requests: ${server.counters.tokenRequests.refresh_token}, reuse detected: ${server.counters.refreshReuseDetected}`,
    )
    unsubscribe()

    step("Static token: a token you already hold, never renewed by grantflow")
    const fixed = staticToken({ accessToken: await resumed.getAccessToken() })
    say(`GET /v1/me with it → ${(await fixed.fetch(`${server.issuer}/v1/me`)).status}`)

    step("Revoking (RFC 7009): the grant ends at the server and locally")
    await resumed.revoke()
    say(`revocations at the server: ${server.counters.revocations}`)
    say(`the static copy now gets → ${(await fixed.fetch(`${server.issuer}/v1/me`)).status}`)
    await resumed
      .getAccessToken()
      .catch((error: Error) => say(`getAccessToken() → ${error.name}: ${error.message}`))
    fixed.stop()
    resumed.stop()
  } finally {
    await server.stop()
  }
  step(
    "Done. Next: a server login in your browser (`npx -y pnpm@10.34.8 demo:express`), the tests (`npx -y pnpm@10.34.8 test`) and packages/core/examples/spotify.ts",
  )
}

main().catch((error) => {
  console.error(error)
  process.exitCode = 1
})
