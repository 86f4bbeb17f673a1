import { authorizationCode, ConfigError, defineProvider, type PendingLogin } from "@grantflow/core"
import { completeLogin } from "@grantflow/dev-server"
import { describe, expect, it } from "vitest"
import { auth } from "../src/index.js"
import { sign } from "../src/internal/cookies.js"
import { safeReturnTo } from "../src/internal/returnTo.js"
import { Agent, secret, useApp } from "./harness.js"

describe("the login routes against the dev-server", () => {
  const app = useApp()

  it("keeps signed-out users out: HTML goes to the login with returnTo, JSON gets a 401 body", async () => {
    const agent = new Agent(app().origin)
    const page = await agent.request("/profile?tab=1")
    expect(page.status).toBe(302)
    expect(page.headers.get("location")).toBe(`/login?returnTo=${encodeURIComponent("/profile?tab=1")}`)
    const api = await agent.request("/api/me", { accept: "application/json" })
    expect(api.status).toBe(401)
    expect(await api.json()).toMatchObject({ error: "NotAuthenticated" })
    expect(await (await agent.request("/", { accept: "application/json" })).json()).toEqual({
      authenticated: false,
    })
  })

  it("logs in: an opaque signed session cookie, no-store on the callback, back to returnTo", async () => {
    const agent = new Agent(app().origin)
    const login = await agent.request("/login?returnTo=%2Fprofile")
    const loginCookie = login.headers.getSetCookie().find((c) => c.startsWith("gf_login="))!
    expect(loginCookie).toMatch(/HttpOnly/)
    expect(loginCookie).toMatch(/SameSite=Lax/)
    const callbackUrl = await (await import("@grantflow/dev-server")).completeLogin(
      login.headers.get("location")!,
      {
        username: "ada",
      },
    )
    const callback = await agent.request(callbackUrl)
    expect(callback.status).toBe(302)
    expect(callback.headers.get("location")).toBe("/profile")
    expect(callback.headers.get("cache-control")).toBe("no-store")
    expect(callback.headers.get("referrer-policy")).toBe("no-referrer")
    const session = callback.headers.getSetCookie().find((c) => c.startsWith("gf_session="))!
    expect(session).toMatch(/HttpOnly/)
    expect(session).toMatch(/SameSite=Lax/)
    expect(session).not.toMatch(/Secure/) // loopback over http
    // The cookie is a random id and its MAC: nothing of the provider's tokens.
    expect(agent.cookies.get("gf_session")).toMatch(/^[A-Za-z0-9_-]{43}\.[A-Za-z0-9_-]{43}$/)
    expect(agent.cookies.has("gf_login")).toBe(false)
    const me = await agent.request("/api/me", { accept: "application/json" })
    expect(await me.json()).toMatchObject({ id: "ada" })
    const profile = await agent.request("/profile")
    expect(await profile.text()).toContain("Hello ada")
  })

  it.each([
    "//evil.example/x",
    "/\\evil.example",
    "https://evil.example/",
    "javascript:alert(1)",
    "/%0d%0aLocation:%20https://evil.example",
  ])("never redirects away: returnTo %s ends at this app", async (returnTo) => {
    const agent = new Agent(app().origin)
    const callback = await agent.signIn({ returnTo })
    expect(callback.status).toBe(302)
    const location = callback.headers.get("location")!
    expect(new URL(location, app().origin).origin).toBe(app().origin)
    expect(location.startsWith("/") && !location.startsWith("//") && !location.includes("\\")).toBe(true)
  })

  it("safeReturnTo keeps same-origin paths with their query and refuses the rest", () => {
    const origin = "http://127.0.0.1:3000"
    expect(safeReturnTo("/a/b?c=d#e", origin)).toBe("/a/b?c=d#e")
    for (const bad of ["//x", "/\\x", "\\\\x", "http://x", "javascript:x", "/\tx", "", undefined, 42]) {
      expect(safeReturnTo(bad, origin)).toBe("/")
    }
  })

  it("gives a new session id at login and forgets a planted one (no session fixation)", async () => {
    const attacker = new Agent(app().origin)
    await attacker.signIn({ username: "mallory" })
    const planted = attacker.cookies.get("gf_session")!
    const victim = new Agent(app().origin)
    victim.cookies.set("gf_session", planted)
    const callback = await victim.signIn({ username: "victim" })
    expect(callback.status).toBe(302)
    expect(victim.cookies.get("gf_session")).not.toBe(planted)
    expect(await (await victim.request("/api/me", { accept: "application/json" })).json()).toMatchObject({
      id: "victim",
    })
    // The planted session was the one replaced: it no longer signs anybody in.
    expect((await attacker.request("/api/me", { accept: "application/json" })).status).toBe(401)
  })

  it("refuses a tampered pending cookie before any code exchange", async () => {
    const { server, origin } = app()
    const agent = new Agent(origin)
    const callbackUrl = await agent.authorize()
    const value = agent.cookies.get("gf_login")!
    agent.cookies.set("gf_login", `${value[0] === "A" ? "B" : "A"}${value.slice(1)}`)
    const before = server.counters.tokenRequests.authorization_code
    const callback = await agent.request(callbackUrl)
    expect(callback.status).toBe(400)
    expect(await callback.text()).toContain("could not be verified")
    expect(server.counters.tokenRequests.authorization_code).toBe(before)
    expect(agent.cookies.has("gf_login")).toBe(false)
  })

  it("refuses an expired pending login, and a callback with none, with a retry", async () => {
    const { server, origin, provider } = app()
    const agent = new Agent(origin)
    const callbackUrl = await agent.authorize()
    const { pending } = await authorizationCode.begin({
      provider,
      clientId: "x",
      redirectUri: `${origin}/callback`,
    })
    const old: PendingLogin = { ...pending, createdAt: Date.now() - 11 * 60 * 1000 }
    const sealed = await authorizationCode.seal(old, secret, { maxAgeMs: 10 * 60 * 1000 })
    agent.cookies.set("gf_login", sign(`${sealed}~${Buffer.from("/").toString("base64url")}`, secret))
    const before = server.counters.tokenRequests.authorization_code
    const expired = await agent.request(callbackUrl)
    expect(expired.status).toBe(400)
    const page = await expired.text()
    expect(page).toContain("This login expired")
    expect(page).toContain('href="/login?returnTo=%2F"')
    const none = await new Agent(origin).request(callbackUrl, { accept: "application/json" })
    expect(none.status).toBe(400)
    expect(await none.json()).toMatchObject({
      error: "InvalidPendingLogin:Expired",
      login: "/login?returnTo=%2F",
    })
    expect(server.counters.tokenRequests.authorization_code).toBe(before)
  })

  it("refuses the callback of another login of the same browser (state mismatch)", async () => {
    const { server, origin } = app()
    const agent = new Agent(origin)
    const first = await agent.authorize()
    await agent.authorize() // a second login replaces the first one's pending cookie
    const before = server.counters.tokenRequests.authorization_code
    const callback = await agent.request(first)
    expect(callback.status).toBe(400)
    expect(await callback.text()).toContain("does not match")
    expect(server.counters.tokenRequests.authorization_code).toBe(before)
  })

  it("says so when the user declines consent", async () => {
    const agent = new Agent(app().origin)
    const callbackUrl = await agent.authorize({ consent: "deny" })
    const callback = await agent.request(callbackUrl)
    expect(callback.status).toBe(403)
    expect(await callback.text()).toContain("Access was not granted")
    expect(agent.cookies.has("gf_session")).toBe(false)
  })

  it("redeems a code once when the callback is reloaded or double-clicked, and ends signed in", async () => {
    const { server, origin } = app()
    const agent = new Agent(origin)
    const callbackUrl = await agent.authorize({ username: "bea", returnTo: "/profile" })
    const before = server.counters.tokenRequests.authorization_code
    const [one, two] = await Promise.all([agent.request(callbackUrl), agent.request(callbackUrl)])
    expect([one.status, two.status]).toEqual([302, 302])
    expect(one.headers.get("location")).toBe("/profile")
    expect(two.headers.get("location")).toBe("/profile")
    const reload = await agent.request(callbackUrl)
    expect(reload.status).toBe(302)
    expect(server.counters.tokenRequests.authorization_code).toBe(before + 1)
    expect(server.counters.codeReuseDetected).toBe(0)
    expect(await (await agent.request("/api/me", { accept: "application/json" })).json()).toMatchObject({
      id: "bea",
    })
  })

  it("refreshes on demand and tells the session's scopes and expiry, never its tokens", async () => {
    const { server, origin } = app()
    const agent = new Agent(origin)
    await agent.signIn()
    const session = (await (
      await agent.request("/session", { accept: "application/json" })
    ).json()) as Record<string, unknown>
    expect(session).toMatchObject({ scopes: ["user-read-email"], revision: 0 })
    expect(Object.keys(session).some((k) => /token/i.test(k))).toBe(false)
    const before = server.counters.tokenRequests.refresh_token
    const refreshed = await agent.request("/refresh", { method: "POST", accept: "application/json" })
    expect(await refreshed.json()).toMatchObject({ revision: 1 })
    expect(server.counters.tokenRequests.refresh_token).toBe(before + 1)
    expect(await (await agent.request("/api/me", { accept: "application/json" })).json()).toMatchObject({
      id: "alice",
    })
  })

  it("logs out with a POST (revokes, forgets, clears the cookie); a GET asks first", async () => {
    const { server, origin } = app()
    const agent = new Agent(origin)
    await agent.signIn()
    const confirm = await agent.request("/logout")
    expect(await confirm.text()).toContain('<form method="post" action="/logout"')
    expect(agent.cookies.has("gf_session")).toBe(true)
    const crossSite = await agent.request("/logout", {
      method: "POST",
      headers: { origin: "https://evil.example" },
    })
    expect(crossSite.status).toBe(403)
    const session = agent.cookies.get("gf_session")!
    const revocations = server.counters.revocations
    const logout = await agent.request("/logout", { method: "POST", headers: { origin } })
    expect(logout.status).toBe(303)
    expect(server.counters.revocations).toBeGreaterThan(revocations)
    expect(agent.cookies.has("gf_session")).toBe(false)
    // The old cookie, replayed, signs nobody in: the record is gone.
    agent.cookies.set("gf_session", session)
    expect((await agent.request("/api/me", { accept: "application/json" })).status).toBe(401)
  })

  it("ignores a session cookie with a forged signature", async () => {
    const agent = new Agent(app().origin)
    await agent.signIn()
    const [id] = agent.cookies.get("gf_session")!.split(".")
    agent.cookies.set("gf_session", `${id}.${"A".repeat(43)}`)
    expect((await agent.request("/api/me", { accept: "application/json" })).status).toBe(401)
  })
})

describe("when the token endpoint is unreachable (fault injection: a closed port)", () => {
  const app = useApp({
    provider: (discovered) =>
      defineProvider({ ...discovered, tokenEndpoint: "http://127.0.0.1:9/token" }) as typeof discovered,
  })

  it("renders a page that says so and offers a retry", async () => {
    const agent = new Agent(app().origin)
    const callback = await agent.signIn()
    expect(callback.status).toBe(503)
    const page = await callback.text()
    expect(page).toContain("unreachable")
    expect(page).toContain("Log in again")
    expect(agent.cookies.has("gf_session")).toBe(false)
  })
})

describe("cookie names", () => {
  const app = useApp({ auth: { cookies: { session: "app_sid", login: "app_login" } } })

  it("are configurable, and never the provider's (_session, _interaction)", async () => {
    const agent = new Agent(app().origin)
    await agent.signIn()
    expect([...agent.cookies.keys()]).toEqual(["app_sid"])
  })
})

describe("behind https (a TLS proxy in front of the app)", () => {
  const app = useApp({ baseUrl: "https://app.example" })

  it("marks cookies Secure with the __Host- prefix", async () => {
    const agent = new Agent(app().origin)
    const login = await agent.request("/login")
    expect(login.headers.getSetCookie()[0]).toMatch(
      /^__Host-gf_login=.*; Path=\/; .*HttpOnly; SameSite=Lax; Secure$/,
    )
    const callbackUrl = new URL(await completeLogin(login.headers.get("location")!))
    expect(callbackUrl.origin).toBe("https://app.example")
    const callback = await agent.request(`${callbackUrl.pathname}${callbackUrl.search}`)
    expect(callback.status).toBe(302)
    expect(callback.headers.getSetCookie().find((c) => c.startsWith("__Host-gf_session="))).toMatch(
      /; Secure$/,
    )
    expect([...agent.cookies.keys()]).toEqual(["__Host-gf_session"])
    expect((await agent.request("/api/me", { accept: "application/json" })).status).toBe(200)
  })
})

describe("configuration", () => {
  it("is checked once at start-up, every problem listed", () => {
    const provider = defineProvider({
      authorizationEndpoint: "https://a.example/auth",
      tokenEndpoint: "https://a.example/token",
    })
    const attempt = () =>
      auth({ provider, clientId: "", clientSecret: "s", baseUrl: "http://app.example", secret: "short" })
    expect(attempt).toThrow(ConfigError)
    expect(attempt).toThrow(/baseUrl must be https.*secret must be at least 32.*clientId must not be empty/)
  })
})
