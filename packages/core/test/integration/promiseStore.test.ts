import { describe, expect, it } from "vitest"
import { savedCredentials } from "../../src/index.js"
import { promiseStore } from "../support/promiseStore.js"
import { logIn, sleep, useDevServer } from "./devServer.js"

// Access tokens live 2 s here, so the saved credentials expire within the test.
const dev = useDevServer({ accessTokenTtl: 2 })

describe("against the dev-server: a Promise-shaped store shared by two instances", () => {
  it("renews once under the store's lock; the other instance re-reads and adopts the result", async () => {
    const running = dev()
    const client = running.server.clients.spa
    const login = await logIn(running, client)
    const saved = await login.getCredentials()
    login.stop()
    const { store, rows } = promiseStore()
    // One user's grant in two instances: an explicit store key (default keys are private).
    const instance = () =>
      savedCredentials({
        provider: running.provider,
        clientId: client.clientId,
        credentials: saved,
        store,
        storeKey: "user-1",
      })
    const [one, two] = [instance(), instance()]
    await sleep(2_100)
    running.server.counters.reset()

    const tokens = await Promise.all(
      Array.from({ length: 20 }, (_, i) => (i % 2 === 0 ? one : two).getAccessToken()),
    )
    expect(new Set(tokens).size).toBe(1)
    expect(running.server.counters.tokenRequests.refresh_token).toBe(1)
    expect(running.server.counters.refreshReuseDetected).toBe(0)
    expect([...rows.values()].map((row) => JSON.parse(row).accessToken)).toEqual([tokens[0]])
    expect((await two.fetch(`${running.server.issuer}/v1/me`)).status).toBe(200)
    one.stop()
    two.stop()
  })
})
