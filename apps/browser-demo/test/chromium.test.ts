/**
 * The demo, end to end in a real Chromium (Debian's, driven by playwright-core) against the real
 * dev-server: login through its pages, a replayed callback, three tabs renewing an expired token
 * at once, a tab closed in the middle of a renewal, and a logout that reaches every tab. A
 * screenshot of each step goes to test-results/ (gitignored).
 */
import { mkdir, mkdtemp, rm } from "node:fs/promises"
import { tmpdir } from "node:os"
import { join } from "node:path"
import { lockName } from "@grantflow/browser"
import { type DevServer, startDevServer } from "@grantflow/dev-server"
import { type BrowserContext, chromium, type Page } from "playwright-core"
import { build } from "vite"
import { afterAll, beforeAll, describe, expect, it } from "vitest"
import { startStaticServer } from "./support/staticServer.js"

const root = new URL("..", import.meta.url).pathname
const screenshots = join(root, "test-results")
// Short-lived tokens: "expired" within seconds, and due for renewal at half their life.
const accessTokenTtl = 6

let server: DevServer
let site: Awaited<ReturnType<typeof startStaticServer>>
let context: BrowserContext
let temporary: string

beforeAll(async () => {
  temporary = await mkdtemp(join(tmpdir(), "grantflow-browser-demo-"))
  site = await startStaticServer()
  server = await startDevServer({ accessTokenTtl, spaOrigins: [site.origin] })
  // The demo reads the issuer at build time, so the build follows the server's start.
  process.env.VITE_GRANTFLOW_ISSUER = server.issuer
  await build({ root, logLevel: "warn", build: { outDir: join(temporary, "dist"), emptyOutDir: true } })
  site.serve(join(temporary, "dist"))
  await mkdir(screenshots, { recursive: true })
  context = await chromium.launchPersistentContext(join(temporary, "profile"), {
    executablePath: process.env.CHROMIUM_PATH ?? "/usr/bin/chromium",
    headless: true,
    args: [
      "--headless",
      "--no-sandbox",
      "--disable-gpu",
      "--disable-quic",
      "--no-first-run",
      "--disable-background-networking",
      "--disable-component-update",
      "--disable-sync",
    ],
    viewport: { width: 420, height: 820 },
  })
})

afterAll(async () => {
  await context?.close()
  await Promise.allSettled([server?.stop(), site?.stop()])
  if (temporary !== undefined) await rm(temporary, { recursive: true, force: true })
})

const snap = (page: Page, name: string) =>
  page.screenshot({ path: join(screenshots, `${name}.png`), fullPage: true })
const text = async (page: Page, testId: string) => (await page.getByTestId(testId).textContent()) ?? ""
const openTab = async () => {
  const page = await context.newPage()
  await page.goto(site.origin)
  return page
}
const locks = (page: Page) =>
  page.evaluate(async () => {
    const { held = [], pending = [] } = await navigator.locks.query()
    return { held: held.map((lock) => lock.name), pending: pending.map((lock) => lock.name) }
  })
const waitForNote = (page: Page, note: string) =>
  page.getByTestId("note").filter({ hasText: note }).waitFor({ timeout: 20_000 })

describe("the browser demo in Chromium", () => {
  let first: Page
  let callbackUrl = ""

  it("logs in through the dev-server's pages; the double handleRedirect redeems the code once", async () => {
    first = await openTab()
    await first.getByTestId("signed-out").waitFor()
    await snap(first, "1-signed-out")
    first.on("framenavigated", (frame) => {
      if (frame.url().includes("/callback?")) callbackUrl = frame.url()
    })
    await first.getByTestId("login").click()
    await first.locator("#username").fill("ada")
    await snap(first, "2-dev-server-login")
    await first.getByRole("button", { name: "Sign in" }).click()
    await first.getByRole("button", { name: "Allow" }).click()
    await expect.poll(() => text(first, "user-name").catch(() => "")).toBe("ada")
    await snap(first, "3-signed-in")
    expect(new URL(first.url()).search).toBe("")
    expect(callbackUrl).toContain("code=")
    expect(server.counters.tokenRequests.authorization_code).toBe(1)
    expect(server.counters.codeReuseDetected).toBe(0)
    // Nothing in localStorage; the pending login left sessionStorage with the callback.
    expect(await first.evaluate(() => [localStorage.length, sessionStorage.length])).toEqual([0, 0])
  })

  it("a replayed callback is a clear error: no second redemption, no new login", async () => {
    const replay = await context.newPage()
    await replay.goto(callbackUrl)
    await replay.getByTestId("error").waitFor()
    expect(await text(replay, "error")).toContain("was not found")
    expect(new URL(replay.url()).origin).toBe(site.origin)
    await snap(replay, "4-replayed-callback")
    await replay.close()
    expect(server.counters.tokenRequests.authorization_code).toBe(1)
    expect(server.counters.codeReuseDetected).toBe(0)
  })

  let tabs: Page[] = []

  it("three tabs whose token expired renew once, and end with the same new token", async () => {
    tabs = [first, await openTab(), await openTab()]
    for (const tab of tabs) await expect.poll(() => text(tab, "user-name").catch(() => "")).toBe("ada")
    const before = await text(first, "token")
    // Every tab's token has expired (a tab that renewed while loading shows the later expiry).
    for (const tab of tabs) {
      await tab.getByTestId("expires-in").filter({ hasText: /^0 s$/ }).waitFor({ timeout: 20_000 })
    }
    server.counters.reset()
    await Promise.all(tabs.map((tab) => tab.getByTestId("call-api").click()))
    await Promise.all(tabs.map((tab) => waitForNote(tab, "Called /v1/me")))
    const tokens = await Promise.all(tabs.map((tab) => text(tab, "token")))
    for (const [index, tab] of tabs.entries()) await snap(tab, `5-tab-${index + 1}-after-expiry`)
    expect(server.counters.tokenRequests.refresh_token).toBe(1)
    expect(server.counters.refreshReuseDetected).toBe(0)
    expect(new Set(tokens).size).toBe(1)
    expect(tokens[0]).not.toBe(before)
  })

  it("a tab closed in the middle of a renewal does not leave the others stuck", async () => {
    const [closing, ...others] = tabs as [Page, Page, Page]
    server.counters.reset()
    // The closing tab is in the middle of a renewal: it holds the renewal's Web Lock and has sent
    // nothing yet. (A tab closed after its request left may have had the refresh token rotated
    // for a response nobody saves; see packages/browser/README.md.)
    const renewalLock = lockName(`${server.issuer}/token#${server.clients.spa.clientId}`)
    await closing.evaluate((name) => {
      void navigator.locks.request(name, () => new Promise(() => {}))
    }, renewalLock)
    await Promise.all(others.map((tab) => tab.getByTestId("refresh").click()))
    // Both other tabs now wait for the lock the closing tab holds.
    await expect
      .poll(() => locks(others[0]))
      .toEqual({ held: [renewalLock], pending: [renewalLock, renewalLock] })
    await closing.close()
    await Promise.all(others.map((tab) => waitForNote(tab, "Renewed")))
    const tokens = await Promise.all(others.map((tab) => text(tab, "token")))
    for (const [index, tab] of others.entries()) await snap(tab, `6-tab-${index + 2}-after-closed-tab`)
    expect(server.counters.tokenRequests.refresh_token).toBe(1)
    expect(server.counters.refreshReuseDetected).toBe(0)
    expect(new Set(tokens).size).toBe(1)
    tabs = others
  })

  it("a logout in one tab signs out the others", async () => {
    const [leaving, staying] = tabs as [Page, Page]
    server.counters.reset()
    await leaving.getByTestId("logout").click()
    await leaving.getByTestId("signed-out").waitFor()
    await staying.getByTestId("signed-out").waitFor({ timeout: 10_000 })
    await snap(staying, "7-other-tab-signed-out")
    expect(server.counters.revocations).toBe(1)
  })
})
