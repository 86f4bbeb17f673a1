/**
 * `/callback` throughput and an authenticated request's added latency: `auth()` next to a
 * hand-written Express login on oauth4webapi, in the same run against the same dev-server, as
 * ratios (`pnpm --filter @grantflow/express bench:http`). Both apps keep sessions in process
 * memory behind an opaque cookie; the hand-written one does no more than the protocol needs
 * (no sealing, no refresh sharing), so it is the floor to compare with.
 */
import { randomBytes } from "node:crypto"
import { createServer } from "node:http"
import type { AddressInfo } from "node:net"
import { performance } from "node:perf_hooks"
import { discoverProvider, type Provider } from "@grantflow/core"
import { completeLogin, startDevServer } from "@grantflow/dev-server"
import express, { type Express } from "express"
import * as oauth from "oauth4webapi"
import { Agent, setGlobalDispatcher } from "undici"
import { auth, requiresAuth } from "../src/index.js"
import { parseCookies } from "../src/internal/cookies.js"

const rounds = Number(process.env.ROUNDS ?? 3)
const callbacksPerRound = Number(process.env.CALLBACKS ?? 100)
const requestsPerRound = Number(process.env.REQUESTS ?? 1_000)
const concurrency = 8
setGlobalDispatcher(new Agent({ connections: 32 }))

const listen = async () => {
  const server = createServer()
  await new Promise<void>((resolve) => server.listen(0, "127.0.0.1", resolve))
  return { server, origin: `http://127.0.0.1:${(server.address() as AddressInfo).port}` }
}
const gf = await listen()
const o4w = await listen()
const client = (id: string, origin: string) => ({
  client_id: id,
  client_secret: `${id}-secret`,
  grant_types: ["authorization_code", "refresh_token"],
  response_types: ["code"],
  redirect_uris: [`${origin}/callback`],
})
const dev = await startDevServer({ clients: [client("gf", gf.origin), client("o4w", o4w.origin)] })
const scopes = ["user-read-email"]

const grantflowApp = async (): Promise<Express> => {
  const provider = (await discoverProvider(dev.issuer)) as Provider<string>
  const app = express()
  app.use(
    auth({
      provider,
      clientId: "gf",
      clientSecret: "gf-secret",
      scopes,
      baseUrl: gf.origin,
      secret: randomBytes(32).toString("base64url"),
    }),
  )
  app.get("/bare", (_req, res) => {
    res.json(0)
  })
  app.get("/api/token", requiresAuth(), async (req, res) => {
    res.json((await req.grantflow.getAccessToken()).length)
  })
  return app
}

/** What a careful hand-written login looks like with oauth4webapi and a session map. */
const handWrittenApp = async (): Promise<Express> => {
  const issuer = new URL(dev.issuer)
  const as = await oauth.processDiscoveryResponse(
    issuer,
    await oauth.discoveryRequest(issuer, { [oauth.allowInsecureRequests]: true }),
  )
  const oauthClient: oauth.Client = { client_id: "o4w" }
  const clientAuth = oauth.ClientSecretBasic("o4w-secret")
  const redirectUri = `${o4w.origin}/callback`
  const pendings = new Map<string, { state: string; verifier: string }>()
  const sessions = new Map<string, { accessToken: string; refreshToken?: string; expiresAt: number }>()
  const app = express()
  app.get("/bare", (_req, res) => {
    res.json(0)
  })
  app.get("/login", async (_req, res) => {
    const verifier = oauth.generateRandomCodeVerifier()
    const state = oauth.generateRandomState()
    const url = new URL(as.authorization_endpoint!)
    url.search = new URLSearchParams({
      client_id: "o4w",
      redirect_uri: redirectUri,
      response_type: "code",
      scope: scopes.join(" "),
      state,
      code_challenge: await oauth.calculatePKCECodeChallenge(verifier),
      code_challenge_method: "S256",
    }).toString()
    const id = randomBytes(32).toString("base64url")
    pendings.set(id, { state, verifier })
    res.append("set-cookie", `o4w_login=${id}; Path=/; HttpOnly; SameSite=Lax; Max-Age=600`)
    res.redirect(302, url.href)
  })
  app.get("/callback", async (req, res) => {
    const id = parseCookies(req.headers.cookie).get("o4w_login") ?? ""
    const pending = pendings.get(id)
    pendings.delete(id)
    if (pending === undefined) {
      res.status(400).send("no login")
      return
    }
    const params = oauth.validateAuthResponse(
      as,
      oauthClient,
      new URL(req.originalUrl, o4w.origin),
      pending.state,
    )
    const response = await oauth.authorizationCodeGrantRequest(
      as,
      oauthClient,
      clientAuth,
      params,
      redirectUri,
      pending.verifier,
      { [oauth.allowInsecureRequests]: true },
    )
    const tokens = await oauth.processAuthorizationCodeResponse(as, oauthClient, response)
    const session = randomBytes(32).toString("base64url")
    sessions.set(session, {
      accessToken: tokens.access_token,
      ...(tokens.refresh_token === undefined ? {} : { refreshToken: tokens.refresh_token }),
      expiresAt: Date.now() + (tokens.expires_in ?? 3600) * 1000,
    })
    res.append("set-cookie", `o4w_session=${session}; Path=/; HttpOnly; SameSite=Lax`)
    res.redirect(302, "/")
  })
  app.get("/api/token", (req, res) => {
    const session = sessions.get(parseCookies(req.headers.cookie).get("o4w_session") ?? "")
    if (session === undefined || session.expiresAt <= Date.now()) {
      res.status(401).json({ error: "unauthenticated" })
      return
    }
    res.json(session.accessToken.length)
  })
  return app
}

gf.server.on("request", await grantflowApp())
o4w.server.on("request", await handWrittenApp())

const pool = async <T>(items: readonly T[], run: (item: T) => Promise<void>) => {
  let next = 0
  await Promise.all(
    Array.from({ length: concurrency }, async () => {
      while (next < items.length) await run(items[next++]!)
    }),
  )
}

/** Logins up to the callback (login page, dev-server pages): what a /callback request needs. */
const prepareCallbacks = async (origin: string, count: number) => {
  const prepared: { url: string; cookie: string }[] = []
  await pool(Array.from({ length: count }), async () => {
    const login = await fetch(`${origin}/login`, { redirect: "manual" })
    const cookie = login.headers.getSetCookie()[0]!.split(";")[0]!
    prepared.push({ url: await completeLogin(login.headers.get("location")!), cookie })
  })
  return prepared
}

const sessionCookieOf = (response: Response) =>
  response.headers
    .getSetCookie()
    .find((c) => /_session=/.test(c))!
    .split(";")[0]!

const callbackRate = async (origin: string) => {
  const prepared = await prepareCallbacks(origin, callbacksPerRound)
  let cookie = ""
  const start = performance.now()
  await pool(prepared, async ({ url, cookie: loginCookie }) => {
    const response = await fetch(url, { redirect: "manual", headers: { cookie: loginCookie } })
    if (response.status !== 302) throw new Error(`${origin} /callback answered ${response.status}`)
    cookie = sessionCookieOf(response)
  })
  return { perSecond: (prepared.length * 1000) / (performance.now() - start), cookie }
}

const median = (values: number[]) => {
  const sorted = [...values].sort((a, b) => a - b)
  return sorted[Math.floor(sorted.length / 2)]!
}

const latency = async (url: string, cookie: string) => {
  const times: number[] = []
  for (let i = 0; i < requestsPerRound; i++) {
    const start = performance.now()
    const response = await fetch(url, { headers: { cookie, accept: "application/json" } })
    await response.arrayBuffer()
    if (response.status !== 200) throw new Error(`${url} answered ${response.status}`)
    times.push(performance.now() - start)
  }
  return median(times)
}

const results = {
  gfRate: [] as number[],
  o4wRate: [] as number[],
  gfAdded: [] as number[],
  o4wAdded: [] as number[],
}
const ratios = { callback: [] as number[], added: [] as number[], request: [] as number[] }
for (let round = 0; round < rounds; round++) {
  const g = await callbackRate(gf.origin)
  const o = await callbackRate(o4w.origin)
  results.gfRate.push(g.perSecond)
  results.o4wRate.push(o.perSecond)
  const gBare = await latency(`${gf.origin}/bare`, "")
  const oBare = await latency(`${o4w.origin}/bare`, "")
  const gAuth = await latency(`${gf.origin}/api/token`, g.cookie)
  const oAuth = await latency(`${o4w.origin}/api/token`, o.cookie)
  results.gfAdded.push(gAuth - gBare)
  results.o4wAdded.push(oAuth - oBare)
  ratios.callback.push(g.perSecond / o.perSecond)
  ratios.request.push(gAuth / oAuth)
  ratios.added.push((gAuth - gBare) / Math.max(oAuth - oBare, 0.001))
}

const range = (values: number[], digits = 2) =>
  `${median(values).toFixed(digits)} (${Math.min(...values).toFixed(digits)}–${Math.max(...values).toFixed(digits)})`
console.log(`auth() vs a hand-written oauth4webapi login, ${rounds} rounds, Node ${process.versions.node}`)
console.log(
  `  /callback per second, ${concurrency} in flight: grantflow ${range(results.gfRate, 0)}, hand-written ${range(results.o4wRate, 0)}`,
)
console.log(`    ratio grantflow / hand-written: ${range(ratios.callback)}×`)
console.log(
  `  authenticated request, added over a bare route (median ms): grantflow ${range(results.gfAdded, 3)}, hand-written ${range(results.o4wAdded, 3)}`,
)
console.log(
  `    ratio of whole authenticated requests: ${range(ratios.request)}×; of the added latency: ${range(ratios.added)}×`,
)

for (const { server } of [gf, o4w]) {
  server.closeAllConnections()
  server.close()
}
await dev.stop()
process.exit(0)
