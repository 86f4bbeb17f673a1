/**
 * The demo end to end in a real browser: Debian's headless Chromium driven by playwright-core,
 * the demo app and the dev-server on two ports of 127.0.0.1 (so their cookies share one host).
 * A screenshot of each step goes to apps/express-demo/artifacts/ (gitignored).
 */
import { mkdirSync, mkdtempSync, rmSync } from "node:fs"
import { createServer, type Server } from "node:http"
import type { AddressInfo } from "node:net"
import { tmpdir } from "node:os"
import { join } from "node:path"
import { fileURLToPath } from "node:url"
import { clientCredentials, discoverProvider, type Provider, type TokenSource } from "@grantflow/core"
import { type DevServer, startDevServer } from "@grantflow/dev-server"
import { type BrowserContext, chromium, type Page } from "playwright-core"
import { afterAll, beforeAll, describe, expect, it } from "vitest"
import { createDemoApp } from "../src/app.js"

const artifacts = fileURLToPath(new URL("../artifacts/", import.meta.url))
const clientId = "grantflow-express-demo-test"
const clientSecret = "grantflow-express-demo-test-secret"

let context: BrowserContext
let server: DevServer
let http: Server
let appOnly: TokenSource
let origin: string
let userDataDir: string

beforeAll(async () => {
  mkdirSync(artifacts, { recursive: true })
  http = createServer()
  await new Promise<void>((resolve) => http.listen(0, "127.0.0.1", resolve))
  origin = `http://127.0.0.1:${(http.address() as AddressInfo).port}`
  server = await startDevServer({
    clients: [
      {
        client_id: clientId,
        client_secret: clientSecret,
        token_endpoint_auth_method: "client_secret_basic",
        grant_types: ["authorization_code", "refresh_token", "client_credentials"],
        response_types: ["code"],
        redirect_uris: [`${origin}/callback`],
      },
    ],
  })
  const provider = (await discoverProvider(server.issuer)) as Provider<string>
  appOnly = clientCredentials({ provider, clientId, clientSecret })
  const app = createDemoApp({
    provider,
    providerName: "the local dev-server",
    clientId,
    clientSecret,
    scopes: ["user-read-private", "user-read-email"],
    baseUrl: origin,
    secret: "browser-test-secret-browser-test-secret-0123",
    apiBase: `${server.issuer}/v1`,
    appOnly,
  })
  http.on("request", app)
  // A fresh profile each run (playwright passes it to Chromium as --user-data-dir).
  userDataDir = mkdtempSync(join(tmpdir(), "gf-chromium-"))
  context = await chromium.launchPersistentContext(userDataDir, {
    executablePath: "/usr/bin/chromium",
    headless: true,
    viewport: { width: 420, height: 860 },
    args: [
      "--headless",
      "--no-sandbox",
      "--disable-gpu",
      "--no-first-run",
      "--disable-background-networking",
      "--disable-component-update",
      "--disable-sync",
      "--disable-quic",
    ],
  })
})

afterAll(async () => {
  await context?.close()
  appOnly?.stop()
  http?.closeAllConnections()
  await new Promise((resolve) => http?.close(resolve))
  await server?.stop()
  if (userDataDir !== undefined) rmSync(userDataDir, { recursive: true, force: true })
})

const shot = (page: Page, name: string) =>
  page.screenshot({ path: `${artifacts}${name}.png`, fullPage: true })

describe("the Express demo in Chromium", () => {
  it("logs in and consents on the dev-server's pages, refreshes, survives a reloaded callback, logs out", async () => {
    const page = await context.newPage()
    const callbacks: string[] = []
    page.on("request", (request) => {
      if (request.url().startsWith(`${origin}/callback`)) callbacks.push(request.url())
    })

    await page.goto(`${origin}/`)
    await expect(page.locator("#login").textContent()).resolves.toBe("Log in")
    await expect(page.locator("#app-only").textContent()).resolves.toContain("Markets: AR")
    await shot(page, "1-home")

    await page.click("#login")
    await page.waitForURL(`${server.issuer}/interaction/**`)
    await page.fill("#username", "ada")
    await shot(page, "2-provider-login")
    await page.click("button[type=submit]")
    await page.waitForSelector("button[value=allow]")
    await shot(page, "3-provider-consent")
    await page.click("button[value=allow]")
    await page.waitForURL(`${origin}/`)
    await expect(page.locator("#user-name").textContent()).resolves.toBe("ada")
    await expect(page.locator("#profile").textContent()).resolves.toContain("user-read-email")
    await expect(page.locator("#expires-in").textContent()).resolves.toMatch(/^in \d+ min/)
    await shot(page, "4-signed-in")

    // No token ever reaches the browser: its cookies are a session id (and the provider's own).
    const cookies = await context.cookies()
    expect(cookies.map((c) => c.name).sort()).toContain("gf_session")
    expect(cookies.find((c) => c.name === "gf_session")?.httpOnly).toBe(true)

    const refreshes = server.counters.tokenRequests.refresh_token
    await page.click("#refresh")
    await page.waitForURL(`${origin}/`)
    await expect(page.locator("#revision").textContent()).resolves.toBe("1")
    expect(server.counters.tokenRequests.refresh_token).toBe(refreshes + 1)
    await expect(page.locator("#refreshed").textContent()).resolves.toMatch(/UTC/)
    await shot(page, "5-refreshed")

    expect(callbacks).toHaveLength(1)
    const codes = server.counters.tokenRequests.authorization_code
    await page.goto(callbacks[0]!)
    await page.waitForURL(`${origin}/`)
    await expect(page.locator("#user-name").textContent()).resolves.toBe("ada")
    expect(server.counters.tokenRequests.authorization_code).toBe(codes)
    expect(server.counters.codeReuseDetected).toBe(0)
    await shot(page, "6-callback-reloaded")

    const revocations = server.counters.revocations
    await page.click("#logout")
    await page.waitForURL(`${origin}/`)
    await expect(page.locator("#login").isVisible()).resolves.toBe(true)
    expect(server.counters.revocations).toBeGreaterThan(revocations)
    expect((await context.cookies()).some((c) => c.name === "gf_session")).toBe(false)
    await shot(page, "7-logged-out")
  })

  it("shows a clear page with a retry when consent is declined", async () => {
    await context.clearCookies() // a new visitor: no session at the dev-server either
    const page = await context.newPage()
    await page.goto(`${origin}/`)
    await page.click("#login")
    await page.waitForURL(`${server.issuer}/interaction/**`)
    await page.fill("#username", "ben")
    await page.click("button[type=submit]")
    await page.click("button[value=deny]")
    await page.waitForURL(`${origin}/callback**`)
    await expect(page.locator("h1").textContent()).resolves.toBe("Access was not granted")
    await shot(page, "8-consent-declined")
    await page.click("text=Log in again")
    await page.waitForURL(`${server.issuer}/interaction/**`)
    await page.close()
  })
})
