import { describe, expect, it } from "vitest"
import { type Credentials, savedCredentials } from "../../src/index.js"
import { logIn, sleep, useDevServer } from "./devServer.js"

// Access tokens live 2 s here, so renewal (due at half the lifetime) happens within the test.
const dev = useDevServer({ accessTokenTtl: 2 })

describe("against the dev-server: renewal", () => {
  it("saved credentials through several rotations: every new refresh token reaches the hook, no reuse", async () => {
    const running = dev()
    const client = running.server.clients.spa
    const login = await logIn(running, client)
    const first = await login.getCredentials()
    login.stop()
    running.server.counters.reset()

    const seen: Array<Credentials> = []
    const user = savedCredentials({
      provider: running.provider,
      clientId: client.clientId,
      credentials: first,
      onCredentialsRefreshed: (next) => {
        seen.push(next)
      },
    })
    for (let round = 1; round <= 3; round++) {
      await sleep(1_100)
      const token = await user.getAccessToken()
      expect(token).toBe(seen.at(-1)?.accessToken)
      expect((await user.fetch(`${running.server.issuer}/v1/me`)).status).toBe(200)
    }
    const refreshTokens = [first, ...seen].map((credentials) => credentials.refreshToken)
    expect(new Set(refreshTokens).size).toBe(4)
    expect(running.server.counters.tokenRequests.refresh_token).toBe(3)
    expect(running.server.counters.refreshReuseDetected).toBe(0)
    user.stop()
  })

  it("200 concurrent callers on an expired PKCE source: exactly one refresh, zero reuse", async () => {
    const running = dev()
    const user = await logIn(running, running.server.clients.spa)
    await sleep(2_100)
    running.server.counters.reset()
    const tokens = await Promise.all(Array.from({ length: 200 }, () => user.getAccessToken()))
    expect(new Set(tokens).size).toBe(1)
    expect(running.server.counters.tokenRequests.refresh_token).toBe(1)
    expect(running.server.counters.refreshReuseDetected).toBe(0)
    expect((await user.fetch(`${running.server.issuer}/v1/me`)).status).toBe(200)
    user.stop()
  })

  it("a refresh token revoked at the server: ReauthenticationRequired after exactly one request", async () => {
    const running = dev()
    const client = running.server.clients.spa
    const login = await logIn(running, client)
    const credentials = await login.getCredentials()
    login.stop()
    // Revoked behind grantflow's back, as an admin or another device would.
    const revoked = await fetch(running.provider.revocationEndpoint!, {
      method: "POST",
      headers: { "content-type": "application/x-www-form-urlencoded" },
      body: new URLSearchParams({ token: credentials.refreshToken!, client_id: client.clientId }),
    })
    expect(revoked.status).toBe(200)
    running.server.counters.reset()
    const user = savedCredentials({
      provider: running.provider,
      clientId: client.clientId,
      credentials: { ...credentials, expiresAt: 0 },
    })
    const results = await Promise.allSettled([user.getAccessToken(), user.getAccessToken()])
    for (const result of results) {
      expect(result).toMatchObject({ status: "rejected", reason: { _tag: "ReauthenticationRequired" } })
    }
    await expect(user.getAccessToken()).rejects.toMatchObject({ _tag: "ReauthenticationRequired" })
    expect(running.server.counters.tokenRequests.refresh_token).toBe(1)
    user.stop()
  })
})
