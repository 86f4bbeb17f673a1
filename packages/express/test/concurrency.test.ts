import { describe, expect, it } from "vitest"
import { SessionSources } from "../src/internal/sessionSources.js"
import { Agent, clientId, clientSecret, sleep, useApp } from "./harness.js"

describe("many users, one process", () => {
  const app = useApp()

  it("signs in 50 users at once; each sees only their own identity", async () => {
    const { origin } = app()
    const names = Array.from({ length: 50 }, (_, i) => `user-${i}`)
    const agents = names.map(() => new Agent(origin))
    await Promise.all(agents.map((agent, i) => agent.signIn({ username: names[i]! })))
    const seen = await Promise.all(
      agents.map(async (agent) => {
        const me = (await (await agent.request("/api/me", { accept: "application/json" })).json()) as {
          id: string
        }
        return me.id
      }),
    )
    expect(seen).toEqual(names)
  })
})

describe("one user, 50 parallel requests on an expired token", () => {
  // Tokens live 6 s and are due at half their lifetime: 3 s after login every request needs a renewal.
  const app = useApp({ accessTokenTtl: 6 })

  it("makes one refresh at the dev-server and presents no refresh token twice", async () => {
    const { server, origin } = app()
    const agent = new Agent(origin)
    await agent.signIn({ username: "carol" })
    await sleep(3_100)
    const before = server.counters.tokenRequests.refresh_token
    const responses = await Promise.all(
      Array.from({ length: 50 }, () => agent.request("/api/me", { accept: "application/json" })),
    )
    const bodies = await Promise.all(responses.map((r) => r.json() as Promise<{ id: string }>))
    expect(bodies.map((b) => b.id)).toEqual(Array(50).fill("carol"))
    expect(server.counters.tokenRequests.refresh_token - before).toBe(1)
    expect(server.counters.refreshReuseDetected).toBe(0)
  })

  it("sends a user whose refresh token died back to the login, returnTo kept", async () => {
    const { server, origin, store } = app()
    const agent = new Agent(origin)
    await agent.signIn({ username: "dave" })
    // Kill the grant behind the app's back: revoke its refresh token at the dev-server.
    const sessionId = agent.cookies.get("gf_session")!.split(".")[0]!
    const stored = await import("effect/Effect").then((Effect) =>
      Effect.runPromise(store.get(`grantflow:session:${sessionId}`)),
    )
    const refreshToken = stored._tag === "Some" ? stored.value.refreshToken! : ""
    const revoked = await fetch(`${server.issuer}/token/revocation`, {
      method: "POST",
      headers: {
        authorization: `Basic ${Buffer.from(`${clientId}:${clientSecret}`).toString("base64")}`,
        "content-type": "application/x-www-form-urlencoded",
      },
      body: new URLSearchParams({ token: refreshToken, token_type_hint: "refresh_token" }),
    })
    expect(revoked.status).toBe(200)
    await sleep(3_100)
    const page = await agent.request("/profile?x=1")
    expect(page.status).toBe(302)
    expect(page.headers.get("location")).toBe(`/login?returnTo=${encodeURIComponent("/profile?x=1")}`)
    expect((await agent.request("/api/me", { accept: "application/json" })).status).toBe(401)
  })
})

describe("a session's token source", () => {
  const app = useApp()

  it("starts on demand, is shared by the session's concurrent requests, and stops when idle", async () => {
    const { provider, store, origin } = app()
    const agent = new Agent(origin)
    await agent.signIn({ username: "erin" })
    const sessionId = agent.cookies.get("gf_session")!.split(".")[0]!
    const sources = new SessionSources({ provider, clientId, clientSecret, scopes: [], store, idleMs: 200 })
    const seen = new Set<unknown>()
    await Promise.all(
      Array.from({ length: 10 }, () =>
        sources.use(sessionId, async (source) => {
          seen.add(source)
          await source?.getAccessToken()
        }),
      ),
    )
    expect(seen.size).toBe(1)
    expect(sources.size).toBe(1)
    await sleep(600)
    expect(sources.size).toBe(0)
    // The user is still signed in: the next use starts a source from the store record.
    expect(
      await sources.use(sessionId, async (source) => (await source?.getAccessToken())?.length),
    ).toBeGreaterThan(0)
    expect(await sources.use("nobody", async (source) => source)).toBeUndefined()
    sources.stopAll()
  })
})

describe("the session's last renewal", () => {
  const app = useApp({ auth: { sourceIdleMs: 100 } })

  it("is remembered after the user's source went idle and stopped", async () => {
    const agent = new Agent(app().origin)
    await agent.signIn()
    const refreshed = (await (
      await agent.request("/refresh", { method: "POST", accept: "application/json" })
    ).json()) as {
      refreshedAt?: number
    }
    expect(refreshed.refreshedAt).toBeTypeOf("number")
    await sleep(400)
    expect(await (await agent.request("/session", { accept: "application/json" })).json()).toMatchObject({
      refreshedAt: refreshed.refreshedAt,
      revision: 1,
    })
  })
})
