import type { DevServer } from "@grantflow/dev-server"
import { afterAll, beforeAll, beforeEach, describe, expect, it } from "vitest"
import { makeBrowser, makeTab, redirectUri, sendToCallback, signIn, startServer } from "./support/page.js"

let server: DevServer
beforeAll(async () => {
  ;({ server } = await startServer())
})
afterAll(() => server.stop())
beforeEach(() => {
  server.counters.reset()
  window.history.replaceState(null, "", "/")
})

const pendingOf = (tab: ReturnType<typeof makeTab>) => {
  const key = tab.sessionStorage.key(0)
  return key === null ? null : tab.sessionStorage.getItem(key)
}

/** Login in `tab`: the page navigates away, the user signs in, the browser lands on the callback. */
const loginThroughServer = async (
  browser: ReturnType<typeof makeBrowser>,
  tab: ReturnType<typeof makeTab>,
  returnTo?: string,
) => {
  await browser.open(tab).login({ returnTo })
  const authorizationUrl = tab.navigations.at(-1)!
  sendToCallback(await signIn(authorizationUrl))
}

describe("login", () => {
  it("seals the pending login into sessionStorage and navigates to a PKCE authorization request", async () => {
    const browser = makeBrowser(server)
    const tab = makeTab()
    await browser.open(tab).login({ returnTo: "/account" })
    const url = new URL(tab.navigations[0]!)
    expect(url.origin + url.pathname).toBe(`${server.issuer}/auth`)
    expect(url.searchParams.get("code_challenge_method")).toBe("S256")
    expect(url.searchParams.get("redirect_uri")).toBe(redirectUri)
    const stored = pendingOf(tab)!
    // Sealed: neither the state sent to the server nor any verifier-shaped text is readable.
    expect(stored).not.toContain(url.searchParams.get("state")!)
    expect(stored).not.toContain("codeVerifier")
    expect(JSON.parse(stored).returnTo).toBe("/account")
    browser.closeAll()
  })

  it("refuses a returnTo on another origin", async () => {
    const browser = makeBrowser(server)
    const tab = makeTab()
    for (const returnTo of ["//evil.test/", "https://evil.test/", "/\\evil.test"]) {
      await expect(browser.open(tab).login({ returnTo })).rejects.toMatchObject({ _tag: "ConfigError" })
    }
    expect(tab.navigations).toEqual([])
    browser.closeAll()
  })
})

describe("handleRedirect", () => {
  it("completes the login, strips code, state and iss from the address bar and returns returnTo", async () => {
    const browser = makeBrowser(server, "memory")
    const tab = makeTab()
    await loginThroughServer(browser, tab, "/account?tab=1")
    expect(new URL(window.location.href).searchParams.has("code")).toBe(true)
    const auth = browser.open(tab)
    expect(await auth.handleRedirect()).toEqual({ returnTo: "/account?tab=1" })
    const address = new URL(window.location.href)
    expect(address.pathname).toBe("/callback")
    for (const name of ["code", "state", "iss"]) expect(address.searchParams.has(name)).toBe(false)
    expect(pendingOf(tab)).toBeNull()
    expect(auth.isAuthenticated()).toBe(true)
    const me = await auth.fetch(`${server.issuer}/v1/me`)
    expect(me.status).toBe(200)
    expect(server.counters.tokenRequests.authorization_code).toBe(1)
    browser.closeAll()
  })

  it("called twice at once (StrictMode), redeems the code once and gives both callers the result", async () => {
    const browser = makeBrowser(server)
    const tab = makeTab()
    await loginThroughServer(browser, tab, "/twice")
    const auth = browser.open(tab)
    const [first, second] = await Promise.all([auth.handleRedirect(), auth.handleRedirect()])
    expect(first).toEqual({ returnTo: "/twice" })
    expect(second).toEqual(first)
    expect(server.counters.tokenRequests.authorization_code).toBe(1)
    expect(server.counters.codeReuseDetected).toBe(0)
    browser.closeAll()
  })

  it("after a reload of the callback, is a clear error that neither redeems again nor starts a login", async () => {
    const browser = makeBrowser(server)
    const tab = makeTab()
    await loginThroughServer(browser, tab)
    const callbackUrl = window.location.href
    await browser.open(tab).handleRedirect()
    // The reload presents the original callback URL again (say, from the history).
    sendToCallback(callbackUrl)
    await expect(browser.open(tab).handleRedirect()).rejects.toMatchObject({
      _tag: "InvalidPendingLogin",
      reason: "Missing",
    })
    expect(server.counters.tokenRequests.authorization_code).toBe(1)
    expect(tab.navigations).toHaveLength(1)
    browser.closeAll()
  })

  it("a denied consent is AuthorizationDenied, with the pending login consumed and the address cleaned", async () => {
    const browser = makeBrowser(server)
    const tab = makeTab()
    await browser.open(tab).login()
    sendToCallback(await signIn(tab.navigations[0]!, { consent: "deny" }))
    await expect(browser.open(tab).handleRedirect()).rejects.toMatchObject({ _tag: "AuthorizationDenied" })
    const address = new URL(window.location.href)
    for (const name of ["error", "state", "iss"]) expect(address.searchParams.has(name)).toBe(false)
    expect(pendingOf(tab)).toBeNull()
    expect(server.counters.tokenRequests.authorization_code).toBe(0)
    browser.closeAll()
  })

  it("refuses an altered pending login before the token endpoint", async () => {
    const browser = makeBrowser(server)
    const tab = makeTab()
    await loginThroughServer(browser, tab)
    const key = tab.sessionStorage.key(0)!
    const entry = JSON.parse(tab.sessionStorage.getItem(key)!)
    const sealed: string = entry.sealed
    const flipped = sealed.slice(0, 20) + (sealed[20] === "A" ? "B" : "A") + sealed.slice(21)
    tab.sessionStorage.setItem(key, JSON.stringify({ ...entry, sealed: flipped }))
    await expect(browser.open(tab).handleRedirect()).rejects.toMatchObject({
      _tag: "InvalidPendingLogin",
      reason: "Malformed",
    })
    expect(server.counters.tokenRequests.authorization_code).toBe(0)
    browser.closeAll()
  })
})

describe("tabs sharing IndexedDB", () => {
  it("a reload resumes the login from IndexedDB; memory forgets it", async () => {
    for (const persist of ["indexeddb", "memory"] as const) {
      const browser = makeBrowser(server, persist)
      const tab = makeTab()
      await loginThroughServer(browser, tab)
      await browser.open(tab).handleRedirect()
      const reloaded = browser.open(tab)
      await reloaded.ready()
      expect(reloaded.isAuthenticated()).toBe(persist === "indexeddb")
      browser.closeAll()
    }
  })

  it("renew once for every tab, and a logout in one tab signs out the others", async () => {
    const browser = makeBrowser(server)
    const first = makeTab()
    await loginThroughServer(browser, first)
    const a = browser.open(first)
    await a.handleRedirect()
    const b = browser.open(makeTab())
    const c = browser.open(makeTab())
    await Promise.all([b.ready(), c.ready()])
    expect([b.isAuthenticated(), c.isAuthenticated()]).toEqual([true, true])
    const before = await a.getAccessToken()

    server.counters.reset()
    await Promise.all([a.refresh(), b.refresh(), c.refresh()])
    const tokens = await Promise.all([a, b, c].map((tab) => tab.getAccessToken()))
    expect(server.counters.tokenRequests.refresh_token).toBe(1)
    expect(server.counters.refreshReuseDetected).toBe(0)
    expect(new Set(tokens).size).toBe(1)
    expect(tokens[0]).not.toBe(before)

    const signedOut = new Promise<void>((resolve) =>
      c.subscribe((state) => {
        if (!state.authenticated) resolve()
      }),
    )
    await a.logout()
    await signedOut
    expect([a.isAuthenticated(), c.isAuthenticated()]).toEqual([false, false])
    expect(server.counters.revocations).toBe(1)
    await expect(b.getAccessToken()).rejects.toMatchObject({ _tag: "ReauthenticationRequired" })
    browser.closeAll()
  })
})
