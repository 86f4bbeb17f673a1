import { completeLogin, type DevClient, type DevServer, startDevServer } from "@grantflow/dev-server"
import { afterAll, beforeAll, beforeEach, describe, expect, it } from "vitest"
import {
  authorizationUrl,
  callbackParams,
  getResource,
  makePkce,
  makeState,
  postForm,
  tokenRequest,
} from "./helpers.js"

/** Logs in through the real pages asking for `user-read-email` and returns the code. */
const emailCode = async (server: DevServer, client: DevClient) =>
  callbackParams(
    await completeLogin(authorizationUrl(server, client, { scope: "user-read-email", state: makeState() })),
  ).get("code")!

describe("authorization code flows", () => {
  let server: DevServer

  beforeAll(async () => {
    server = await startDevServer()
  })
  afterAll(() => server.stop())
  beforeEach(() => server.counters.reset())

  it("grantflow-web (confidential): code, state and iss come back; the code buys access and refresh tokens", async () => {
    const client = server.clients.web
    const state = makeState()
    const redirectUri = "http://localhost:3000/callback"
    const callback = await completeLogin(
      authorizationUrl(server, client, { redirectUri, scope: "user-read-email user-read-private", state }),
      { username: "ada" },
    )
    expect(callback.startsWith(`${redirectUri}?`)).toBe(true)
    const params = callbackParams(callback)
    expect(params.get("state")).toBe(state)
    expect(params.get("iss")).toBe(server.issuer)
    const code = params.get("code")
    expect(code).toEqual(expect.any(String))

    const token = await tokenRequest(server, client, {
      grant_type: "authorization_code",
      code: code!,
      redirect_uri: redirectUri,
    })
    expect(token.status).toBe(200)
    expect(token.body).toMatchObject({
      token_type: "Bearer",
      expires_in: 3600,
      scope: "user-read-email user-read-private",
    })
    expect(token.body.access_token).toEqual(expect.any(String))
    expect(token.body.refresh_token).toEqual(expect.any(String))
    expect(token.body.id_token).toBeUndefined()
    expect(server.counters.tokenRequests.authorization_code).toBe(1)

    const me = await getResource(server, "/v1/me", String(token.body.access_token))
    expect(me.status).toBe(200)
    expect(me.body).toMatchObject({ id: "ada", display_name: "ada", email: "ada@example.test" })
  })

  it("grantflow-spa (public): PKCE S256 through the real pages, then the verifier redeems the code", async () => {
    const client = server.clients.spa
    const pkce = makePkce()
    const state = makeState()
    const callback = await completeLogin(
      authorizationUrl(server, client, { scope: "user-read-email", state, pkce }),
      { username: "grace" },
    )
    const params = callbackParams(callback)
    expect(params.get("state")).toBe(state)
    expect(params.get("iss")).toBe(server.issuer)

    const wrongVerifier = await tokenRequest(server, client, {
      grant_type: "authorization_code",
      code: params.get("code")!,
      redirect_uri: client.redirectUris[0]!,
      code_verifier: makePkce().verifier,
    })
    expect(wrongVerifier.status).toBe(400)
    expect(wrongVerifier.body.error).toBe("invalid_grant")

    // A failed PKCE check does not consume the code.
    const token = await tokenRequest(server, client, {
      grant_type: "authorization_code",
      code: params.get("code")!,
      redirect_uri: client.redirectUris[0]!,
      code_verifier: pkce.verifier,
    })
    expect(token.status).toBe(200)
    expect(token.body.refresh_token).toEqual(expect.any(String))
    expect(token.body.scope).toBe("user-read-email")
    expect(server.counters.tokenRequests.authorization_code).toBe(2)

    const me = await getResource(server, "/v1/me", String(token.body.access_token))
    expect(me.body).toMatchObject({ id: "grace", display_name: "grace", email: "grace@example.test" })
  })

  it("requires PKCE from public clients", async () => {
    const url = authorizationUrl(server, server.clients.spa, { scope: "user-read-email", state: makeState() })
    const callback = await completeLogin(url)
    const params = callbackParams(callback)
    expect(params.get("error")).toBe("invalid_request")
    expect(params.get("error_description")).toMatch(/requires PKCE/)
    expect(params.get("code")).toBeNull()
  })

  it("refuses the plain PKCE method", async () => {
    const url = new URL(
      authorizationUrl(server, server.clients.spa, {
        scope: "user-read-email",
        state: makeState(),
        pkce: makePkce(),
      }),
    )
    url.searchParams.set("code_challenge_method", "plain")
    const params = callbackParams(await completeLogin(url))
    expect(params.get("error")).toBe("invalid_request")
    expect(params.get("code")).toBeNull()
  })

  it("omits email from /v1/me without user-read-email, as Spotify does", async () => {
    const client = server.clients.web
    const params = callbackParams(
      await completeLogin(
        authorizationUrl(server, client, { scope: "user-read-private", state: makeState() }),
        {
          username: "linus",
        },
      ),
    )
    const token = await tokenRequest(server, client, {
      grant_type: "authorization_code",
      code: params.get("code")!,
      redirect_uri: client.redirectUris[0]!,
    })
    const me = await getResource(server, "/v1/me", String(token.body.access_token))
    expect(me.status).toBe(200)
    expect(me.body.id).toBe("linus")
    expect(me.body).not.toHaveProperty("email")
  })

  it("works with openid too: an id_token comes back and the access token still opens /v1/me", async () => {
    const client = server.clients.web
    const params = callbackParams(
      await completeLogin(
        authorizationUrl(server, client, { scope: "openid user-read-email", state: makeState() }),
      ),
    )
    const token = await tokenRequest(server, client, {
      grant_type: "authorization_code",
      code: params.get("code")!,
      redirect_uri: client.redirectUris[0]!,
    })
    expect(token.status).toBe(200)
    expect(token.body.id_token).toEqual(expect.any(String))
    // The access token is for the /v1 resource, so its scope lists only the resource's scopes.
    expect(token.body.scope).toBe("user-read-email")
    const me = await getResource(server, "/v1/me", String(token.body.access_token))
    expect(me.body).toMatchObject({ id: "demo-user", email: "demo-user@example.test" })
  })

  it("grantflow-cli (native): any port on the loopback redirect URI is accepted (RFC 8252 §7.3)", async () => {
    const client = server.clients.cli
    for (const port of [49152, 61234]) {
      const redirectUri = `http://127.0.0.1:${port}/callback`
      const pkce = makePkce()
      const state = makeState()
      const callback = await completeLogin(
        authorizationUrl(server, client, { redirectUri, scope: "user-read-private", state, pkce }),
      )
      expect(callback.startsWith(`${redirectUri}?`)).toBe(true)
      const params = callbackParams(callback)
      expect(params.get("state")).toBe(state)
      const token = await tokenRequest(server, client, {
        grant_type: "authorization_code",
        code: params.get("code")!,
        redirect_uri: redirectUri,
        code_verifier: pkce.verifier,
      })
      expect(token.status).toBe(200)
      expect(token.body.refresh_token).toEqual(expect.any(String))
    }
  })

  it("grantflow-cli: a different path or host is still refused", async () => {
    for (const redirectUri of ["http://127.0.0.1:5000/other", "http://example.test:5000/callback"]) {
      const url = authorizationUrl(server, server.clients.cli, {
        redirectUri,
        scope: "user-read-private",
        state: makeState(),
        pkce: makePkce(),
      })
      await expect(completeLogin(url)).rejects.toThrow(/answered 400.*redirect_uri/)
    }
  })

  it("refuses an unregistered redirect URI for a web client, on the server's own error page", async () => {
    const url = authorizationUrl(server, server.clients.web, {
      redirectUri: "http://127.0.0.1:3001/callback",
      scope: "user-read-private",
      state: makeState(),
    })
    await expect(completeLogin(url)).rejects.toThrow(/answered 400.*redirect_uri/)
  })

  it("a user who denies consent sends the client error=access_denied with state and iss", async () => {
    const state = makeState()
    const params = callbackParams(
      await completeLogin(authorizationUrl(server, server.clients.web, { scope: "user-read-email", state }), {
        consent: "deny",
      }),
    )
    expect(params.get("error")).toBe("access_denied")
    expect(params.get("state")).toBe(state)
    expect(params.get("iss")).toBe(server.issuer)
    expect(params.get("code")).toBeNull()
  })

  it("a code works once: a second use fails and revokes the tokens it bought", async () => {
    const client = server.clients.web
    const request = {
      grant_type: "authorization_code",
      code: await emailCode(server, client),
      redirect_uri: client.redirectUris[0]!,
    }
    const first = await tokenRequest(server, client, request)
    expect(first.status).toBe(200)
    const second = await tokenRequest(server, client, request)
    expect(second.status).toBe(400)
    expect(second.body.error).toBe("invalid_grant")
    expect(server.counters.codeReuseDetected).toBe(1)
    expect((await getResource(server, "/v1/me", String(first.body.access_token))).status).toBe(401)
    const refresh = await tokenRequest(server, client, {
      grant_type: "refresh_token",
      refresh_token: String(first.body.refresh_token),
    })
    expect(refresh.body.error).toBe("invalid_grant")
  })

  it("the code must be redeemed with the redirect_uri it was issued for", async () => {
    const client = server.clients.web
    const token = await tokenRequest(server, client, {
      grant_type: "authorization_code",
      code: await emailCode(server, client),
      redirect_uri: client.redirectUris[1]!,
    })
    expect(token.status).toBe(400)
    expect(token.body.error).toBe("invalid_grant")
  })

  it("the SPA's origin may call the token endpoint and /v1 cross-origin; other origins may not", async () => {
    const preflight = (path: string, origin: string, method: string) =>
      fetch(`${server.issuer}${path}`, {
        method: "OPTIONS",
        headers: {
          origin,
          "access-control-request-method": method,
          "access-control-request-headers": "authorization",
        },
      })
    const token = await preflight("/token", "http://localhost:5173", "POST")
    expect(token.headers.get("access-control-allow-origin")).toBe("http://localhost:5173")
    const resource = await preflight("/v1/me", "http://127.0.0.1:5173", "GET")
    expect(resource.headers.get("access-control-allow-origin")).toBe("http://127.0.0.1:5173")
    expect(resource.headers.get("access-control-allow-headers")).toMatch(/authorization/i)
    const stranger = await preflight("/v1/me", "http://evil.test", "GET")
    expect(stranger.headers.get("access-control-allow-origin")).toBeNull()

    // The token endpoint checks the origin against the client named in the request.
    const cc = await fetch(`${server.issuer}/token`, {
      method: "POST",
      headers: { origin: "http://evil.test", "content-type": "application/x-www-form-urlencoded" },
      body: new URLSearchParams({
        grant_type: "refresh_token",
        refresh_token: "x",
        client_id: "grantflow-spa",
      }),
    })
    expect(cc.status).toBe(400)
    expect(await cc.json()).toMatchObject({
      error: "invalid_request",
      error_description: "origin http://evil.test not allowed for client: grantflow-spa",
    })
  })

  it("the resource server rejects a token whose grant was revoked", async () => {
    const client = server.clients.web
    const token = await tokenRequest(server, client, {
      grant_type: "authorization_code",
      code: await emailCode(server, client),
      redirect_uri: client.redirectUris[0]!,
    })
    const revoked = await postForm(`${server.issuer}/token/revocation`, client, {
      token: String(token.body.access_token),
      token_type_hint: "access_token",
    })
    expect(revoked.status).toBe(200)
    const me = await getResource(server, "/v1/me", String(token.body.access_token))
    expect(me.status).toBe(401)
    expect(me.headers.get("www-authenticate")).toMatch(/error="invalid_token"/)
  })
})

describe("short-lived access tokens", () => {
  let server: DevServer

  beforeAll(async () => {
    // 2 s rather than 1: a loaded CI machine must still use a fresh token within its lifetime.
    server = await startDevServer({ accessTokenTtl: 2 })
  })
  afterAll(() => server.stop())

  it("expire on time: 401 invalid_token at /v1, and the refresh token buys a new one", async () => {
    const client = server.clients.web
    const token = await tokenRequest(server, client, {
      grant_type: "authorization_code",
      code: await emailCode(server, client),
      redirect_uri: client.redirectUris[0]!,
    })
    expect(token.body.expires_in).toBe(2)
    const accessToken = String(token.body.access_token)
    expect((await getResource(server, "/v1/me", accessToken)).status).toBe(200)

    await new Promise((resolve) => setTimeout(resolve, 3100))
    const expired = await getResource(server, "/v1/me", accessToken)
    expect(expired.status).toBe(401)
    expect(expired.headers.get("www-authenticate")).toMatch(/^Bearer .*error="invalid_token"/)
    expect(expired.body).toEqual({ error: { status: 401, message: "The access token expired" } })

    const refreshed = await tokenRequest(server, client, {
      grant_type: "refresh_token",
      refresh_token: String(token.body.refresh_token),
    })
    expect(refreshed.status).toBe(200)
    expect(refreshed.body.expires_in).toBe(2)
    expect((await getResource(server, "/v1/me", String(refreshed.body.access_token))).status).toBe(200)
  })

  it("client-credentials tokens expire too", async () => {
    const token = await tokenRequest(server, server.clients.service, { grant_type: "client_credentials" })
    expect(token.body.expires_in).toBe(2)
    await new Promise((resolve) => setTimeout(resolve, 3100))
    const expired = await getResource(server, "/v1/markets", String(token.body.access_token))
    expect(expired.status).toBe(401)
    expect(expired.body).toEqual({ error: { status: 401, message: "The access token expired" } })
  })
})
