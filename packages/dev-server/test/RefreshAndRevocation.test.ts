import { completeLogin, type DevClient, type DevServer, startDevServer } from "@grantflow/dev-server"
import { afterAll, beforeAll, beforeEach, describe, expect, it } from "vitest"
import {
  authorizationUrl,
  callbackParams,
  getResource,
  makePkce,
  makeState,
  postForm,
  sleep,
  tokenRequest,
} from "./helpers.js"

/** Signs in through the real pages and redeems the code: the token response. */
const signIn = async (
  server: DevServer,
  client: DevClient,
  scope = "user-read-email playlist-read-private",
) => {
  const pkce = client.clientSecret === undefined ? makePkce() : undefined
  const params = callbackParams(
    await completeLogin(
      authorizationUrl(server, client, { scope, state: makeState(), ...(pkce ? { pkce } : {}) }),
    ),
  )
  const token = await tokenRequest(server, client, {
    grant_type: "authorization_code",
    code: params.get("code")!,
    redirect_uri: client.redirectUris[0]!,
    ...(pkce ? { code_verifier: pkce.verifier } : {}),
  })
  expect(token.status).toBe(200)
  return { accessToken: String(token.body.access_token), refreshToken: String(token.body.refresh_token) }
}

const refresh = (server: DevServer, client: DevClient, refreshToken: string, scope?: string) =>
  tokenRequest(server, client, {
    grant_type: "refresh_token",
    refresh_token: refreshToken,
    ...(scope === undefined ? {} : { scope }),
  })

describe("refresh tokens", () => {
  let server: DevServer

  beforeAll(async () => {
    server = await startDevServer()
  })
  afterAll(() => server.stop())
  beforeEach(() => server.counters.reset())

  it("SPA: every refresh rotates; the new token works and the response repeats the scope", async () => {
    const client = server.clients.spa
    const first = await signIn(server, client)
    const second = await refresh(server, client, first.refreshToken)
    expect(second.status).toBe(200)
    expect(second.body.refresh_token).toEqual(expect.any(String))
    expect(second.body.refresh_token).not.toBe(first.refreshToken)
    expect(second.body.scope).toBe("user-read-email playlist-read-private")
    expect(second.body.access_token).not.toBe(first.accessToken)
    const third = await refresh(server, client, String(second.body.refresh_token))
    expect(third.status).toBe(200)
    expect(third.body.refresh_token).not.toBe(second.body.refresh_token)
    expect(server.counters.tokenRequests.refresh_token).toBe(2)
    expect(server.counters.refreshReuseDetected).toBe(0)
  })

  it("SPA: reusing a rotated refresh token is refused and revokes the whole grant", async () => {
    const client = server.clients.spa
    const first = await signIn(server, client)
    const second = await refresh(server, client, first.refreshToken)
    const newRefreshToken = String(second.body.refresh_token)
    const newAccessToken = String(second.body.access_token)
    expect((await getResource(server, "/v1/me", newAccessToken)).status).toBe(200)

    const reuse = await refresh(server, client, first.refreshToken)
    expect(reuse.status).toBe(400)
    expect(reuse.body).toMatchObject({
      error: "invalid_grant",
      error_description: "grant request is invalid",
    })
    expect(server.counters.refreshReuseDetected).toBe(1)

    // The grant is gone: the legitimate holder's newer tokens stop working too.
    const after = await refresh(server, client, newRefreshToken)
    expect(after.status).toBe(400)
    expect(after.body.error).toBe("invalid_grant")
    expect((await getResource(server, "/v1/me", newAccessToken)).status).toBe(401)
    expect(server.counters.tokenRequests.refresh_token).toBe(3)
    expect(server.counters.refreshReuseDetected).toBe(1)
  })

  it("confidential web client: the refresh token is not rotated (the same value comes back)", async () => {
    const client = server.clients.web
    const first = await signIn(server, client)
    const second = await refresh(server, client, first.refreshToken)
    expect(second.status).toBe(200)
    expect(second.body.refresh_token).toBe(first.refreshToken)
    const third = await refresh(server, client, first.refreshToken)
    expect(third.status).toBe(200)
    expect(server.counters.refreshReuseDetected).toBe(0)
  })

  it("a refresh may narrow the scope but not widen it", async () => {
    const client = server.clients.web
    const { refreshToken } = await signIn(server, client)
    const narrower = await refresh(server, client, refreshToken, "user-read-email")
    expect(narrower.status).toBe(200)
    expect(narrower.body.scope).toBe("user-read-email")
    const me = await getResource(server, "/v1/me", String(narrower.body.access_token))
    expect(me.body.email).toEqual(expect.any(String))

    const wider = await refresh(server, client, refreshToken, "user-read-email user-library-modify")
    expect(wider.status).toBe(400)
    expect(wider.body.error).toBe("invalid_scope")
  })

  it("a refresh token belongs to its client", async () => {
    const { refreshToken } = await signIn(server, server.clients.spa)
    const stolen = await refresh(server, server.clients.web, refreshToken)
    expect(stolen.status).toBe(400)
    expect(stolen.body.error).toBe("invalid_grant")
  })
})

describe("revocation (RFC 7009)", () => {
  let server: DevServer

  beforeAll(async () => {
    server = await startDevServer()
  })
  afterAll(() => server.stop())
  beforeEach(() => server.counters.reset())

  const revoke = (client: DevClient, token: string, hint?: string) =>
    postForm(`${server.issuer}/token/revocation`, client, {
      token,
      ...(hint === undefined ? {} : { token_type_hint: hint }),
    })

  it("revoking the refresh token ends the grant: refresh and access token both stop working", async () => {
    const client = server.clients.web
    const tokens = await signIn(server, client)
    const response = await revoke(client, tokens.refreshToken, "refresh_token")
    expect(response.status).toBe(200)
    expect(server.counters.revocations).toBe(1)
    expect((await refresh(server, client, tokens.refreshToken)).body.error).toBe("invalid_grant")
    expect((await getResource(server, "/v1/me", tokens.accessToken)).status).toBe(401)
  })

  it("a public client revokes with its client_id alone", async () => {
    const client = server.clients.spa
    const tokens = await signIn(server, client)
    expect((await revoke(client, tokens.refreshToken)).status).toBe(200)
    expect((await refresh(server, client, tokens.refreshToken)).body.error).toBe("invalid_grant")
    expect(server.counters.revocations).toBe(1)
  })

  it("revoking an access token also ends its grant's refresh token (oidc-provider's rule)", async () => {
    const client = server.clients.web
    const tokens = await signIn(server, client)
    expect((await revoke(client, tokens.accessToken, "access_token")).status).toBe(200)
    expect((await getResource(server, "/v1/me", tokens.accessToken)).status).toBe(401)
    expect((await refresh(server, client, tokens.refreshToken)).body.error).toBe("invalid_grant")
  })

  it("client-credentials tokens can be revoked", async () => {
    const client = server.clients.service
    const token = await tokenRequest(server, client, { grant_type: "client_credentials" })
    const accessToken = String(token.body.access_token)
    expect((await revoke(client, accessToken)).status).toBe(200)
    expect((await getResource(server, "/v1/markets", accessToken)).status).toBe(401)
  })

  it("answers 200 for an unknown token, and a client cannot revoke another client's token", async () => {
    expect((await revoke(server.clients.web, "no-such-token")).status).toBe(200)
    const tokens = await signIn(server, server.clients.web)
    const foreign = await revoke(server.clients.service, tokens.refreshToken)
    expect(foreign.status).toBe(400)
    expect(foreign.body.error).toBe("invalid_request")
    expect((await refresh(server, server.clients.web, tokens.refreshToken)).status).toBe(200)
    expect(server.counters.revocations).toBe(1)
  })

  it("requires client authentication", async () => {
    const response = await postForm(
      `${server.issuer}/token/revocation`,
      { ...server.clients.web, clientSecret: "nope" },
      {
        token: "x",
      },
    )
    expect(response.status).toBe(401)
    expect(response.body.error).toBe("invalid_client")
    expect(server.counters.revocations).toBe(0)
  })
})

describe("counters", () => {
  it("count token requests by grant type, failed ones included", async () => {
    const server = await startDevServer()
    try {
      const tokens = await signIn(server, server.clients.web)
      await refresh(server, server.clients.web, tokens.refreshToken)
      await refresh(server, server.clients.web, "bogus")
      await tokenRequest(server, server.clients.service, { grant_type: "client_credentials" })
      await tokenRequest(server, server.clients.web, { grant_type: "urn:example:unsupported" })
      expect({ ...server.counters.tokenRequests }).toEqual({
        authorization_code: 1,
        refresh_token: 2,
        client_credentials: 1,
        "urn:example:unsupported": 1,
      })
    } finally {
      await server.stop()
    }
  })
})

describe("short-lived refresh tokens", () => {
  let server: DevServer

  beforeAll(async () => {
    server = await startDevServer({ refreshTokenTtl: 3 })
  })
  afterAll(() => server.stop())

  it("a rotated SPA refresh token keeps the expiry of the first one (no sliding window)", async () => {
    const client = server.clients.spa
    const first = await signIn(server, client)
    await sleep(1500)
    const second = await refresh(server, client, first.refreshToken)
    expect(second.status).toBe(200)
    await sleep(2100)
    const third = await refresh(server, client, String(second.body.refresh_token))
    expect(third.status).toBe(400)
    expect(third.body.error).toBe("invalid_grant")
    // Expiry is not reuse.
    expect(server.counters.refreshReuseDetected).toBe(0)
  })
})
