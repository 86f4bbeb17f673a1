import express4 from "express4"
import { describe, expect, it } from "vitest"
import { Agent, useApp } from "./harness.js"

describe("on Express 4", () => {
  const app = useApp({ express: () => express4() })

  it("logs in, guards routes, renews through the user's source and logs out", async () => {
    const { origin, server } = app()
    const agent = new Agent(origin)
    expect((await agent.request("/api/me", { accept: "application/json" })).status).toBe(401)
    const callback = await agent.signIn({ username: "fay", returnTo: "/profile" })
    expect(callback.headers.get("location")).toBe("/profile")
    expect(await (await agent.request("/profile")).text()).toContain("Hello fay")
    const refreshes = server.counters.tokenRequests.refresh_token
    expect(
      await (await agent.request("/refresh", { method: "POST", accept: "application/json" })).json(),
    ).toMatchObject({
      revision: 1,
    })
    expect(server.counters.tokenRequests.refresh_token).toBe(refreshes + 1)
    const logout = await agent.request("/logout", { method: "POST", headers: { origin } })
    expect(logout.status).toBe(303)
    expect((await agent.request("/api/me", { accept: "application/json" })).status).toBe(401)
  })
})
