import type { Credentials } from "@grantflow/core"
import type { PromiseCredentialStore } from "@grantflow/core/PromiseCredentialStore"
import { describe, expect, it } from "vitest"
import { Agent, sleep, useApp } from "./harness.js"

/** An app's own store, written the way an app without Effect writes one: a Map and a per-key queue. */
const appStore = () => {
  const rows = new Map<string, string>()
  const queues = new Map<string, Promise<unknown>>()
  const store: PromiseCredentialStore = {
    get: async (key) => {
      const row = rows.get(key)
      return row === undefined ? undefined : (JSON.parse(row) as Credentials)
    },
    set: async (key, credentials) => {
      rows.set(key, JSON.stringify(credentials))
    },
    remove: async (key) => {
      rows.delete(key)
    },
    withLock: (key, fn) => {
      const run = (queues.get(key) ?? Promise.resolve()).then(fn, fn)
      queues.set(
        key,
        run.catch(() => {}),
      )
      return run
    },
  }
  return { store, rows }
}

describe("auth() over a Promise-shaped store", () => {
  const { store, rows } = appStore()
  // Tokens live 6 s and are due at half their lifetime.
  const app = useApp({ accessTokenTtl: 6, auth: { store } })

  it("keeps the session's credentials there, renews once for 20 parallel requests, and forgets them at logout", async () => {
    const { server, origin } = app()
    const agent = new Agent(origin)
    await agent.signIn({ username: "erin" })
    const sessionId = agent.cookies.get("gf_session")!.split(".")[0]!
    const key = `grantflow:session:${sessionId}`
    const first = JSON.parse(rows.get(key)!) as Credentials
    await sleep(3_100)
    const before = server.counters.tokenRequests.refresh_token
    const responses = await Promise.all(
      Array.from({ length: 20 }, () => agent.request("/api/me", { accept: "application/json" })),
    )
    expect(responses.map((r) => r.status)).toEqual(Array(20).fill(200))
    expect(server.counters.tokenRequests.refresh_token - before).toBe(1)
    expect(server.counters.refreshReuseDetected).toBe(0)
    const renewed = JSON.parse(rows.get(key)!) as Credentials
    expect(renewed.accessToken).not.toBe(first.accessToken)
    expect(renewed.grantId).toBe(first.grantId)

    const logout = await agent.request("/logout", { method: "POST", headers: { origin } })
    expect(logout.status).toBe(303)
    expect(rows.has(key)).toBe(false)
  })
})
