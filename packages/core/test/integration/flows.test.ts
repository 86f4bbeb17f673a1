import { completeLogin } from "@grantflow/dev-server"
import { describe, expect, it } from "vitest"
import {
  authorizationCode,
  type Credentials,
  clientCredentials,
  discoverProvider,
  savedCredentials,
  staticToken,
} from "../../src/index.js"
import { logIn, useDevServer } from "./devServer.js"

const dev = useDevServer()

describe("against the dev-server: every flow end to end", () => {
  it("discovers the provider from the issuer (RFC 8414)", async () => {
    const { server, provider } = dev()
    expect(provider).toMatchObject({
      issuer: server.issuer,
      tokenEndpointAuthMethod: "client_secret_basic",
      authorizationResponseIssParameterSupported: true,
    })
    expect(provider.revocationEndpoint).toMatch(new RegExp(`^${server.issuer}/`))
    await expect(discoverProvider(`${server.issuer}/nowhere`)).rejects.toMatchObject({
      _tag: "MalformedResponse",
    })
  })

  it("client credentials: 20 concurrent callers, one token request, a working token", async () => {
    const { server, provider } = dev()
    server.counters.reset()
    const client = server.clients.service
    const app = clientCredentials({ provider, clientId: client.clientId, clientSecret: client.clientSecret! })
    const tokens = await Promise.all(Array.from({ length: 20 }, () => app.getAccessToken()))
    expect(new Set(tokens).size).toBe(1)
    expect(server.counters.tokenRequests.client_credentials).toBe(1)
    const markets = await app.fetch(`${server.issuer}/v1/markets`)
    expect(markets.status).toBe(200)
    app.stop()
  })

  it("authorization code with a secret: login, /v1/me as the user", async () => {
    const running = dev()
    running.server.counters.reset()
    const user = await logIn(running, running.server.clients.web, { username: "alice" })
    const me = await (await user.fetch(`${running.server.issuer}/v1/me`)).json()
    expect(me).toMatchObject({ id: "alice", email: "alice@example.test" })
    const credentials = await user.getCredentials()
    expect(credentials.refreshToken).toEqual(expect.any(String))
    expect(credentials.scopes).toEqual(expect.arrayContaining(["user-read-email"]))
    expect(running.server.counters.tokenRequests.authorization_code).toBe(1)
    user.stop()
  })

  it("PKCE for a public SPA client and a native CLI client on any loopback port", async () => {
    const running = dev()
    const spa = await logIn(running, running.server.clients.spa, { username: "bob" })
    expect(await (await spa.fetch(`${running.server.issuer}/v1/me`)).json()).toMatchObject({ id: "bob" })
    const cli = await logIn(running, running.server.clients.cli, {
      username: "carol",
      redirectUri: "http://127.0.0.1:53682/callback",
    })
    expect(await (await cli.fetch(`${running.server.issuer}/v1/me`)).json()).toMatchObject({ id: "carol" })
    spa.stop()
    cli.stop()
  })

  it("refuses a callback naming another issuer before it reaches the token endpoint", async () => {
    const { server, provider } = dev()
    server.counters.reset()
    const client = server.clients.spa
    const { url, pending } = await authorizationCode.begin({
      provider,
      clientId: client.clientId,
      redirectUri: client.redirectUris[0]!,
    })
    const callback = new URL(await completeLogin(url, { username: "mallory" }))
    expect(callback.searchParams.get("iss")).toBe(server.issuer)
    callback.searchParams.set("iss", "https://attacker.example")
    await expect(
      authorizationCode.complete({ provider, clientId: client.clientId, pending, callbackUrl: callback }),
    ).rejects.toMatchObject({ _tag: "MalformedResponse", reason: "IssuerMismatch" })
    callback.searchParams.delete("iss")
    await expect(
      authorizationCode.complete({ provider, clientId: client.clientId, pending, callbackUrl: callback }),
    ).rejects.toMatchObject({ _tag: "MalformedResponse", reason: "IssuerMissing" })
    expect(server.counters.tokenRequests.authorization_code ?? 0).toBe(0)
  })

  it("a static token works until it is revoked with the rest of its grant", async () => {
    const running = dev()
    const user = await logIn(running, running.server.clients.spa)
    const fixed = staticToken({ accessToken: await user.getAccessToken() })
    expect((await fixed.fetch(`${running.server.issuer}/v1/me`)).status).toBe(200)
    await user.revoke()
    const after = await fixed.fetch(`${running.server.issuer}/v1/me`)
    expect(after.status).toBe(401)
    fixed.stop()
  })

  it("revocation ends the grant at the server and forgets locally", async () => {
    const running = dev()
    running.server.counters.reset()
    const user = await logIn(running, running.server.clients.web)
    const { accessToken, refreshToken } = await user.getCredentials()
    await user.revoke()
    expect(running.server.counters.revocations).toBe(1)
    await expect(user.getAccessToken()).rejects.toMatchObject({
      _tag: "ReauthenticationRequired",
      reason: "Revoked",
    })
    const me = await fetch(`${running.server.issuer}/v1/me`, {
      headers: { authorization: `Bearer ${accessToken}` },
    })
    expect(me.status).toBe(401)
    // The refresh token is dead too: resuming it ends in ReauthenticationRequired after one request.
    const resumed = savedCredentials({
      provider: running.provider,
      clientId: running.server.clients.web.clientId,
      clientSecret: running.server.clients.web.clientSecret,
      credentials: {
        accessToken,
        tokenType: "Bearer",
        scopes: [],
        expiresAt: 0,
        refreshToken,
      } satisfies Credentials,
    })
    running.server.counters.reset()
    await expect(resumed.getAccessToken()).rejects.toMatchObject({
      _tag: "ReauthenticationRequired",
      reason: "InvalidGrant",
    })
    await expect(resumed.getAccessToken()).rejects.toMatchObject({ _tag: "ReauthenticationRequired" })
    expect(running.server.counters.tokenRequests.refresh_token).toBe(1)
    resumed.stop()
  })
})
