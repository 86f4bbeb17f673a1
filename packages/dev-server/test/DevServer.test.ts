import { connect } from "node:net"
import { type DevServer, startDevServer } from "@grantflow/dev-server"
import { afterAll, beforeAll, describe, expect, it } from "vitest"
import { getResource, tokenRequest } from "./helpers.js"

describe("startDevServer", () => {
  let server: DevServer

  beforeAll(async () => {
    server = await startDevServer({ port: 0 })
  })
  afterAll(() => server.stop())

  it("listens on a free port of 127.0.0.1 and names itself by it", () => {
    expect(server.port).toBeGreaterThan(0)
    expect(server.issuer).toBe(`http://127.0.0.1:${server.port}`)
    expect(server.metadataUrl).toBe(`${server.issuer}/.well-known/oauth-authorization-server`)
    expect(server.resource).toBe(`${server.issuer}/v1`)
  })

  it("lists the four pre-registered clients with stable ids", () => {
    expect(server.clients.web).toMatchObject({
      clientId: "grantflow-web",
      tokenEndpointAuthMethod: "client_secret_basic",
      redirectUris: ["http://127.0.0.1:3000/callback", "http://localhost:3000/callback"],
    })
    expect(server.clients.web.clientSecret.length).toBeGreaterThan(16)
    expect(server.clients.spa).toMatchObject({
      clientId: "grantflow-spa",
      tokenEndpointAuthMethod: "none",
      redirectUris: ["http://127.0.0.1:5173/callback", "http://localhost:5173/callback"],
    })
    expect(server.clients.spa.clientSecret).toBeUndefined()
    expect(server.clients.cli).toMatchObject({
      clientId: "grantflow-cli",
      redirectUris: ["http://127.0.0.1/callback"],
    })
    expect(server.clients.service).toMatchObject({
      clientId: "grantflow-service",
      grantTypes: ["client_credentials"],
    })
  })

  it.each(["/.well-known/oauth-authorization-server", "/.well-known/openid-configuration"])(
    "serves authorization server metadata at %s",
    async (path) => {
      const response = await fetch(`${server.issuer}${path}`)
      expect(response.status).toBe(200)
      const metadata = (await response.json()) as Record<string, unknown>
      expect(metadata).toMatchObject({
        issuer: server.issuer,
        authorization_endpoint: `${server.issuer}/auth`,
        token_endpoint: `${server.issuer}/token`,
        revocation_endpoint: `${server.issuer}/token/revocation`,
        authorization_response_iss_parameter_supported: true,
        code_challenge_methods_supported: ["S256"],
        response_types_supported: ["code"],
      })
      expect(metadata.grant_types_supported).toEqual(
        expect.arrayContaining(["authorization_code", "refresh_token", "client_credentials"]),
      )
      expect(metadata.scopes_supported).toEqual(expect.arrayContaining(["openid"]))
    },
  )

  it("serves the same document at both well-known paths", async () => {
    const [rfc8414, openid] = await Promise.all(
      ["oauth-authorization-server", "openid-configuration"].map(async (name) =>
        (await fetch(`${server.issuer}/.well-known/${name}`)).json(),
      ),
    )
    expect(rfc8414).toEqual(openid)
  })

  it("issues an opaque client-credentials token to grantflow-service over HTTP Basic", async () => {
    server.counters.reset()
    const response = await tokenRequest(server, server.clients.service, { grant_type: "client_credentials" })
    expect(response.status).toBe(200)
    expect(response.body).toMatchObject({ token_type: "Bearer", expires_in: 3600 })
    expect(response.body.access_token).toEqual(expect.any(String))
    expect(String(response.body.access_token)).not.toContain(".")
    expect(response.body.refresh_token).toBeUndefined()
    expect(server.counters.tokenRequests.client_credentials).toBe(1)
    expect(server.counters.tokenRequests.authorization_code).toBe(0)
  })

  it("grants requested known scopes to client credentials and drops unknown ones", async () => {
    const response = await tokenRequest(server, server.clients.service, {
      grant_type: "client_credentials",
      scope: "playlist-read-private no-such-scope",
    })
    expect(response.status).toBe(200)
    expect(response.body.scope).toBe("playlist-read-private")
  })

  it("refuses a wrong client secret", async () => {
    const response = await tokenRequest(
      server,
      { ...server.clients.service, clientSecret: "wrong" },
      { grant_type: "client_credentials" },
    )
    expect(response.status).toBe(401)
    expect(response.body.error).toBe("invalid_client")
  })

  it("refuses client credentials to a client without that grant, as invalid_request (not unauthorized_client)", async () => {
    const response = await tokenRequest(server, server.clients.spa, { grant_type: "client_credentials" })
    expect(response.status).toBe(400)
    expect(response.body).toMatchObject({
      error: "invalid_request",
      error_description: "requested grant type is not allowed for this client",
    })
  })

  it("accepts a client-credentials token at /v1/markets and answers 403 at /v1/me, which needs a user", async () => {
    const token = await tokenRequest(server, server.clients.service, { grant_type: "client_credentials" })
    const accessToken = String(token.body.access_token)
    const markets = await getResource(server, "/v1/markets", accessToken)
    expect(markets.status).toBe(200)
    expect(markets.body.markets).toContain("SE")
    const me = await getResource(server, "/v1/me", accessToken)
    expect(me.status).toBe(403)
    expect(me.body).toMatchObject({ error: { status: 403 } })
  })

  it("answers 401 with a bearer challenge without a token, and invalid_token for an unknown one", async () => {
    const missing = await getResource(server, "/v1/me")
    expect(missing.status).toBe(401)
    expect(missing.headers.get("www-authenticate")).toBe('Bearer realm="grantflow-dev-server"')

    const unknown = await getResource(server, "/v1/me", "not-a-token")
    expect(unknown.status).toBe(401)
    expect(unknown.headers.get("www-authenticate")).toMatch(/^Bearer .*error="invalid_token"/)
    expect(unknown.body).toEqual({ error: { status: 401, message: "Invalid access token" } })
  })

  it("counts resource requests and 401s, and reset() zeroes every counter", async () => {
    server.counters.reset()
    await getResource(server, "/v1/me", "not-a-token")
    await tokenRequest(server, server.clients.service, { grant_type: "client_credentials" })
    expect(server.counters.resourceRequests).toBe(1)
    expect(server.counters.resourceUnauthorized).toBe(1)
    expect(server.counters.tokenRequests.client_credentials).toBe(1)
    server.counters.reset()
    expect(server.counters.resourceRequests).toBe(0)
    expect(server.counters.resourceUnauthorized).toBe(0)
    expect(server.counters.tokenRequests.client_credentials).toBe(0)
  })

  it("rejects options that make no sense", async () => {
    await expect(startDevServer({ accessTokenTtl: 0 })).rejects.toThrow(/accessTokenTtl/)
    await expect(startDevServer({ spaOrigins: ["http://localhost:5173/app"] })).rejects.toThrow(
      /not an origin/,
    )
    await expect(
      startDevServer({ clients: [{ client_id: "broken", redirect_uris: ["not a url"] }] }),
    ).rejects.toThrow(/client broken: /)
  })
})

describe("options", () => {
  it("spaOrigins sets the SPA's redirect URIs and the origins allowed to call /v1", async () => {
    const server = await startDevServer({ spaOrigins: ["http://localhost:8080"] })
    try {
      expect(server.clients.spa.redirectUris).toEqual(["http://localhost:8080/callback"])
      const preflight = (origin: string) =>
        fetch(`${server.issuer}/v1/me`, {
          method: "OPTIONS",
          headers: { origin, "access-control-request-method": "GET" },
        })
      expect((await preflight("http://localhost:8080")).headers.get("access-control-allow-origin")).toBe(
        "http://localhost:8080",
      )
      expect((await preflight("http://localhost:5173")).headers.get("access-control-allow-origin")).toBeNull()
    } finally {
      await server.stop()
    }
  })

  it("clients registers more clients beside the built-in ones", async () => {
    const extra = { clientId: "extra-service", clientSecret: "extra-secret-for-tests" }
    const server = await startDevServer({
      clients: [
        {
          client_id: extra.clientId,
          client_secret: extra.clientSecret,
          grant_types: ["client_credentials"],
          response_types: [],
          redirect_uris: [],
        },
      ],
    })
    try {
      const token = await tokenRequest(
        server,
        { ...extra, tokenEndpointAuthMethod: "client_secret_basic", grantTypes: [], redirectUris: [] },
        { grant_type: "client_credentials" },
      )
      expect(token.status).toBe(200)
      expect((await getResource(server, "/v1/markets", String(token.body.access_token))).status).toBe(200)
      expect(server.clients.service.clientId).toBe("grantflow-service")
    } finally {
      await server.stop()
    }
  })
})

describe("stop()", () => {
  const refused = (port: number) =>
    new Promise<string>((resolve) => {
      const socket = connect(port, "127.0.0.1")
      socket.once("connect", () => {
        socket.destroy()
        resolve("connected")
      })
      socket.once("error", (error: NodeJS.ErrnoException) => resolve(error.code ?? "error"))
    })

  it("closes the port, keep-alive connections included", async () => {
    const server = await startDevServer()
    // fetch keeps its connection alive; stop() must not wait for it to time out.
    const response = await fetch(`${server.issuer}/.well-known/openid-configuration`)
    expect(response.status).toBe(200)
    await response.arrayBuffer()
    expect(await refused(server.port)).toBe("connected")

    const started = Date.now()
    await server.stop()
    expect(Date.now() - started).toBeLessThan(1000)
    expect(await refused(server.port)).toBe("ECONNREFUSED")
    await expect(fetch(`${server.issuer}/.well-known/openid-configuration`)).rejects.toThrow()
  })

  it("can be called twice", async () => {
    const server = await startDevServer()
    await Promise.all([server.stop(), server.stop()])
    await expect(server.stop()).resolves.toBeUndefined()
  })

  it("gives each server its own port and its own tokens", async () => {
    const [a, b] = await Promise.all([startDevServer(), startDevServer()])
    try {
      expect(a.port).not.toBe(b.port)
      const token = await tokenRequest(a, a.clients.service, { grant_type: "client_credentials" })
      const accessToken = String(token.body.access_token)
      expect((await getResource(a, "/v1/markets", accessToken)).status).toBe(200)
      expect((await getResource(b, "/v1/markets", accessToken)).status).toBe(401)
    } finally {
      await Promise.all([a.stop(), b.stop()])
    }
  })
})
