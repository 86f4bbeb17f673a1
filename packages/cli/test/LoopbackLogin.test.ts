import { mkdtemp } from "node:fs/promises"
import { tmpdir } from "node:os"
import { join } from "node:path"
import { discoverProvider, type Provider } from "@grantflow/core"
import { completeLogin, type DevServer, startDevServer } from "@grantflow/dev-server"
import * as Effect from "effect/Effect"
import * as Option from "effect/Option"
import { afterAll, beforeAll, describe, expect, it } from "vitest"
import { fileStore, loopbackLogin } from "../src/index.js"

/**
 * The browser, played headlessly: the dev-server's real pages, then the redirect to the listener.
 * `pages` gets what the listener answered; `visits` the browser's runs, to wait for them.
 */
interface Browsing {
  readonly consent?: "allow" | "deny"
  /** Changes the callback before it is followed (a forged `state`). */
  readonly tamper?: (callback: URL) => URL
  /** Other paths the browser asks the listener for first. */
  readonly before?: ReadonlyArray<string>
}

const headlessBrowser =
  (pages: string[], options: Browsing = {}, visits: Promise<void>[] = []) =>
  (url: string) => {
    const visit = browse(url, pages, options)
    visits.push(visit)
    return visit
  }

const browse = async (url: string, pages: string[], options: Browsing) => {
  const callback = new URL(
    await completeLogin(url, { username: "carol", consent: options.consent ?? "allow" }),
  )
  // Browsers ask for other paths too (a favicon); the listener must ignore them.
  for (const path of options.before ?? []) {
    const other = await fetch(new URL(path, callback))
    pages.push(`${other.status} ${await other.text()}`)
  }
  const response = await fetch(options.tamper?.(callback) ?? callback)
  pages.push(`${response.status} ${await response.text()}`)
}

describe("loopbackLogin against the dev-server", () => {
  let server: DevServer
  let provider: Provider
  beforeAll(async () => {
    server = await startDevServer()
    provider = await discoverProvider(server.issuer)
  })
  afterAll(() => server.stop())

  const login = (openBrowser: (url: string) => unknown, extra: { timeoutMs?: number } = {}) =>
    loopbackLogin({
      provider,
      clientId: server.clients.cli.clientId,
      scopes: ["user-read-email"],
      openBrowser,
      ...extra,
    })

  it("logs in on 127.0.0.1 with PKCE, answers the browser with a close-this-tab page, and closes", async () => {
    const pages: string[] = []
    const visits: Promise<void>[] = []
    const urls: string[] = []
    const store = fileStore({ directory: await mkdtemp(join(tmpdir(), "grantflow-loopback-")) })
    const source = await loopbackLogin({
      provider,
      clientId: server.clients.cli.clientId,
      scopes: ["user-read-email"],
      openBrowser: headlessBrowser(pages, { before: ["/favicon.ico", "/other?code=x"] }, visits),
      onUrl: (url) => urls.push(url),
      store,
      storeKey: "default",
    })
    await Promise.all(visits)
    const authorization = new URL(urls[0]!)
    expect(authorization.searchParams.get("code_challenge_method")).toBe("S256")
    const redirect = new URL(authorization.searchParams.get("redirect_uri")!)
    expect(redirect.hostname).toBe("127.0.0.1")
    expect(redirect.pathname).toBe("/callback")
    expect(pages[0]).toMatch(/^404 /)
    expect(pages[1]).toMatch(/^404 /)
    expect(pages[2]).toMatch(/^200 .*data-grantflow="login-done"/s)
    const me = await source.fetch(`${server.resource}/me`)
    expect(await me.json()).toMatchObject({ id: "carol" })
    // Saved where the CLI finds it.
    const saved = Option.getOrThrow(await Effect.runPromise(store.get("default")))
    expect(saved.accessToken).toBe(await source.getAccessToken())
    // The listener is gone.
    await expect(fetch(redirect)).rejects.toThrow()
    source.stop()
  })

  it("times out with LoginTimedOut when the browser never comes back, and closes the listener", async () => {
    let redirect: URL | undefined
    await expect(
      login(
        (url) => {
          redirect = new URL(new URL(url).searchParams.get("redirect_uri")!)
        },
        { timeoutMs: 300 },
      ),
    ).rejects.toMatchObject({ _tag: "LoginTimedOut", timeoutMs: 300 })
    await expect(fetch(redirect!)).rejects.toThrow()
  })

  it("a denial ends in AuthorizationDenied, with a failure page in the browser", async () => {
    const pages: string[] = []
    const visits: Promise<void>[] = []
    await expect(login(headlessBrowser(pages, { consent: "deny" }, visits))).rejects.toMatchObject({
      _tag: "AuthorizationDenied",
    })
    await Promise.all(visits)
    expect(pages[0]).toMatch(/^400 .*data-grantflow="login-failed"/s)
  })

  it("a callback whose state does not match never reaches the token endpoint", async () => {
    const pages: string[] = []
    const visits: Promise<void>[] = []
    server.counters.reset()
    const tamper = (callback: URL) => {
      const forged = new URL(callback)
      forged.searchParams.set("state", "forged-state-forged-state-forged")
      return forged
    }
    await expect(login(headlessBrowser(pages, { tamper }, visits))).rejects.toMatchObject({
      _tag: "StateMismatch",
    })
    await Promise.all(visits)
    expect(pages[0]).toMatch(/^400 /)
    expect(server.counters.tokenRequests.authorization_code).toBe(0)
  })

  it("the paste fallback completes the login with the URL the user copied", async () => {
    let pasted: (url: string) => void = () => {}
    const source = await loopbackLogin({
      provider,
      clientId: server.clients.cli.clientId,
      scopes: ["user-read-email"],
      openBrowser: false,
      // The user opens the URL on another machine and pastes back where it was sent.
      onUrl: (url) =>
        void completeLogin(url, { username: "dave" }).then((callback) => pasted(` ${callback}\n`)),
      pastedCallback: new Promise((resolve) => {
        pasted = resolve
      }),
    })
    expect(await (await source.fetch(`${server.resource}/me`)).json()).toMatchObject({ id: "dave" })
    source.stop()
  })
})
