import { completeLogin, type DevServer, startDevServer } from "@grantflow/dev-server"
import { afterAll, beforeAll, describe, expect, it } from "vitest"
import {
  authorizationUrl,
  callbackParams,
  getResource,
  makePkce,
  makeState,
  tokenRequest,
} from "./helpers.js"

describe("login and consent pages", () => {
  let server: DevServer

  beforeAll(async () => {
    server = await startDevServer()
  })
  afterAll(() => server.stop())

  it("the authorization endpoint sends the browser to a login page with the local-development banner", async () => {
    const url = authorizationUrl(server, server.clients.web, { scope: "user-read-email", state: makeState() })
    const redirect = await fetch(url, { redirect: "manual" })
    expect(redirect.status).toBe(303)
    const location = new URL(redirect.headers.get("location")!, server.issuer)
    expect(location.pathname).toMatch(/^\/interaction\/[\w-]+$/)
    const cookies = redirect.headers
      .getSetCookie()
      .map((line) => line.split(";")[0])
      .join("; ")
    const page = await fetch(location, { headers: { cookie: cookies } })
    expect(page.status).toBe(200)
    const html = await page.text()
    expect(html).toContain("LOCAL DEVELOPMENT ONLY")
    expect(html).toContain('name="username"')
  })

  it("the interaction page without its cookie explains what happened", async () => {
    const response = await fetch(`${server.issuer}/interaction/unknown-uid`)
    expect(response.status).toBe(400)
    expect(await response.text()).toContain("Start again")
  })

  it("accepts any user name, escaped in the pages and kept as the subject", async () => {
    const client = server.clients.spa
    const pkce = makePkce()
    const username = `Zoë <b>"O'Hara"</b>`
    const params = callbackParams(
      await completeLogin(
        authorizationUrl(server, client, { scope: "user-read-email", state: makeState(), pkce }),
        {
          username,
        },
      ),
    )
    const token = await tokenRequest(server, client, {
      grant_type: "authorization_code",
      code: params.get("code")!,
      redirect_uri: client.redirectUris[0]!,
      code_verifier: pkce.verifier,
    })
    const me = await getResource(server, "/v1/me", String(token.body.access_token))
    expect(me.body).toMatchObject({ id: username, display_name: username, email: `${username}@example.test` })
  })

  it("signs in as demo-user when no name is given", async () => {
    const client = server.clients.web
    const params = callbackParams(
      await completeLogin(
        authorizationUrl(server, client, { scope: "user-read-private", state: makeState() }),
      ),
    )
    const token = await tokenRequest(server, client, {
      grant_type: "authorization_code",
      code: params.get("code")!,
      redirect_uri: client.redirectUris[0]!,
    })
    expect((await getResource(server, "/v1/me", String(token.body.access_token))).body.id).toBe("demo-user")
  })

  it("completeLogin needs a redirect URI to stop at", async () => {
    const url = new URL(
      authorizationUrl(server, server.clients.web, { scope: "user-read-private", state: makeState() }),
    )
    url.searchParams.delete("redirect_uri")
    await expect(completeLogin(url)).rejects.toThrow(/redirect_uri/)
  })

  it("completeLogin reports a server error page with its status and message", async () => {
    const url = new URL(
      authorizationUrl(server, server.clients.web, { scope: "user-read-private", state: makeState() }),
    )
    url.searchParams.set("client_id", "no-such-client")
    await expect(completeLogin(url)).rejects.toThrow(/answered 400: .*invalid_client/)
  })
})
