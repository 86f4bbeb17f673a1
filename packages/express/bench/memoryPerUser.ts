/**
 * Memory per signed-in user (`pnpm --filter @grantflow/express bench`): 10,000 sessions through
 * the real middleware. Goal ≤ 4 KB per idle user: an idle user holds a store record only, and
 * token sources run only while their user is active.
 *
 * The dev-server would share this process's heap, so one real login gives the credentials'
 * shape and the other sessions are stored with fresh random tokens of the same lengths; every
 * session then makes a real authenticated request through the app (which starts its source), and
 * the heap is read after the sources went idle and stopped.
 */
import { randomBytes } from "node:crypto"
import { createServer } from "node:http"
import type { AddressInfo } from "node:net"
import { setTimeout as sleep } from "node:timers/promises"
import { type Credentials, discoverProvider, type Provider } from "@grantflow/core"
import { completeLogin, startDevServer } from "@grantflow/dev-server"
import * as Effect from "effect/Effect"
import express from "express"
import { Agent, setGlobalDispatcher } from "undici"
import { auth, memorySessionStore, requiresAuth } from "../src/index.js"
import { sign } from "../src/internal/cookies.js"
import { storeKeyOf } from "../src/internal/sessionSources.js"

const sessions = Number(process.env.SESSIONS ?? 10_000)
const concurrency = 100
const idleMs = 300
const secret = randomBytes(32).toString("base64url")
const gc = (globalThis as { gc?: () => void }).gc
if (gc === undefined) throw new Error("run with node --expose-gc")
setGlobalDispatcher(new Agent({ connections: concurrency }))

const heap = async () => {
  for (let i = 0; i < 4; i++) {
    gc()
    await sleep(20)
  }
  return process.memoryUsage().heapUsed
}

const http = createServer()
await new Promise<void>((resolve) => http.listen(0, "127.0.0.1", resolve))
const origin = `http://127.0.0.1:${(http.address() as AddressInfo).port}`
const server = await startDevServer({
  clients: [
    {
      client_id: "bench",
      client_secret: "bench-secret",
      grant_types: ["authorization_code", "refresh_token"],
      response_types: ["code"],
      redirect_uris: [`${origin}/callback`],
    },
  ],
})
const provider = (await discoverProvider(server.issuer)) as Provider<string>
const store = memorySessionStore()
const app = express()
app.use(
  auth({
    provider,
    clientId: "bench",
    clientSecret: "bench-secret",
    baseUrl: origin,
    secret,
    store,
    scopes: ["user-read-email", "user-read-private"],
    sourceIdleMs: idleMs,
  }),
)
app.get("/token-length", requiresAuth(), async (req, res) => {
  res.json((await req.grantflow.getAccessToken()).length)
})
http.on("request", app)

// One real login for the shape of real credentials.
const login = await fetch(`${origin}/login`, { redirect: "manual" })
const loginCookie = login.headers.getSetCookie()[0]!.split(";")[0]!
const callbackUrl = await completeLogin(login.headers.get("location")!, { username: "bench" })
const callback = await fetch(callbackUrl, { redirect: "manual", headers: { cookie: loginCookie } })
const sessionCookie = callback.headers.getSetCookie().find((c) => c.startsWith("gf_session="))!
const sessionId = sessionCookie.split(";")[0]!.split("=")[1]!.split(".")[0]!
const real = await Effect.runPromise(store.get(storeKeyOf(sessionId)))
if (real._tag === "None") throw new Error("the login stored nothing")
const shape: Credentials = real.value
const randomLike = (text: string | undefined) =>
  text === undefined ? undefined : randomBytes(text.length).toString("base64url").slice(0, text.length)

const request = (cookie: string) =>
  fetch(`${origin}/token-length`, { headers: { cookie, accept: "application/json" } }).then((r) => {
    if (r.status !== 200) throw new Error(`an authenticated request answered ${r.status}`)
    return r.arrayBuffer()
  })
// Warm every code path once before the baseline.
await request(sessionCookie.split(";")[0]!)
await sleep(idleMs * 3)

const before = await heap()
const cookies: string[] = []
for (let i = 0; i < sessions; i++) {
  const id = randomBytes(32).toString("base64url")
  const credentials: Credentials = {
    ...shape,
    accessToken: randomLike(shape.accessToken)!,
    ...(shape.refreshToken === undefined ? {} : { refreshToken: randomLike(shape.refreshToken)! }),
    grantId: randomBytes(16).toString("base64url"),
  }
  await Effect.runPromise(store.set(storeKeyOf(id), credentials))
  cookies.push(`gf_session=${sign(id, secret)}`)
}
const stored = await heap()

let peakActive = 0
for (let i = 0; i < cookies.length; i += concurrency) {
  await Promise.all(cookies.slice(i, i + concurrency).map(request))
  if (i === 0) peakActive = (await heap()) - stored
}
await sleep(idleMs * 4)
const idle = await heap()

const kb = (bytes: number) => `${(bytes / 1024).toFixed(2)} KB`
console.log(`memory per signed-in user, ${sessions} sessions through auth() (Node ${process.versions.node})`)
console.log(`  stored, before any request:         ${kb((stored - before) / sessions)} per user`)
console.log(`  idle, after one request each:       ${kb((idle - before) / sessions)} per user (goal ≤ 4 KB)`)
console.log(
  `  active (${concurrency} sources running at once): ${kb(peakActive / concurrency)} per active user`,
)

http.closeAllConnections()
http.close()
await server.stop()
process.exit(0)
