import { approveDeviceCode, deviceCodeGrantType } from "@grantflow/dev-server"
import { describe, expect, it } from "vitest"
import { type DevicePrompt, defineProvider, deviceAuthorization, machines } from "../../src/index.js"
import { type Running, sleep, useDevServer } from "./devServer.js"

const scopes = ["user-read-email", "user-read-private"]

/** A device login whose user acts (through the dev-server's real pages) once the code is shown. */
const deviceLogin = (
  { server, provider }: Running,
  user: (prompt: DevicePrompt) => Promise<unknown> = (prompt) =>
    approveDeviceCode(prompt.verificationUri, prompt.userCode, { username: "dana" }),
) => {
  const prompts: DevicePrompt[] = []
  let acted: Promise<unknown> = Promise.resolve()
  const login = deviceAuthorization({
    provider,
    clientId: server.clients.cli.clientId,
    scopes,
    onPrompt: (prompt) => {
      prompts.push(prompt)
      // The user acts in another browser while the device polls.
      acted = user(prompt)
    },
  })
  return { login, prompts, acted: () => acted }
}

describe("device authorization grant against the dev-server", () => {
  const dev = useDevServer({ deviceFlow: { interval: 1 } })

  it("is discovered, is machines.deviceAuthorization, and logs the user in once they approve", async () => {
    const running = dev()
    expect(running.provider.deviceAuthorizationEndpoint).toBe(`${running.server.issuer}/device/auth`)
    expect(machines.deviceAuthorization.id).toBe("deviceAuthorization")
    running.server.counters.reset()
    const { login, prompts, acted } = deviceLogin(running)
    const source = await login
    expect(await acted()).toBe("approved")
    expect(prompts).toHaveLength(1)
    expect(prompts[0]!.verificationUri).toBe(running.server.deviceVerificationUri)
    expect(prompts[0]!.userCode).toMatch(/^[A-Z]{4}-[A-Z]{4}$/)
    const credentials = await source.getCredentials()
    expect(credentials.refreshToken).toBeDefined()
    expect([...credentials.scopes].sort()).toEqual(scopes)
    const me = await source.fetch(`${running.server.resource}/me`)
    expect(await me.json()).toMatchObject({ id: "dana" })
    expect(running.server.counters.tokenRequests[deviceCodeGrantType]).toBeGreaterThanOrEqual(1)
    // Logging out revokes the grant at the server.
    await source.revoke()
    expect(running.server.counters.revocations).toBe(1)
    source.stop()
  })

  it("ends in AuthorizationDenied when the user refuses, at the consent or the confirmation", async () => {
    for (const refusal of [{ consent: "deny" }, { confirm: "abort" }] as const) {
      const { login, acted } = deviceLogin(dev(), (prompt) =>
        approveDeviceCode(prompt.verificationUri, prompt.userCode, refusal),
      )
      await expect(login).rejects.toMatchObject({ _tag: "AuthorizationDenied" })
      expect(await acted()).toBe("denied")
    }
  })

  it("a client the server does not know gets its OAuthError from the device authorization endpoint", async () => {
    const { server, provider } = dev()
    server.counters.reset()
    let prompted = false
    const login = deviceAuthorization({
      provider,
      clientId: "nobody",
      onPrompt: () => {
        prompted = true
      },
    })
    await expect(login).rejects.toMatchObject({
      _tag: "OAuthError",
      endpoint: "device authorization",
      error: "invalid_client",
    })
    expect(prompted).toBe(false)
    expect(server.counters.tokenRequests[deviceCodeGrantType] ?? 0).toBe(0)
  })

  it("a provider without a device authorization endpoint is a ConfigError before any request", async () => {
    const { server } = dev()
    const provider = defineProvider({
      authorizationEndpoint: `${server.issuer}/auth`,
      tokenEndpoint: `${server.issuer}/token`,
    })
    let prompted = false
    const login = deviceAuthorization({
      provider,
      clientId: server.clients.cli.clientId,
      onPrompt: () => {
        prompted = true
      },
    })
    await expect(login).rejects.toMatchObject({ _tag: "ConfigError" })
    expect(prompted).toBe(false)
  })
})

describe("device authorization grant: slow_down", () => {
  const dev = useDevServer({ deviceFlow: { interval: 1, slowDownFirstPolls: 1 } })

  it("a slow_down is honoured (5 s more before the next poll) and the login still succeeds", async () => {
    const running = dev()
    running.server.counters.reset()
    // The user approves after the first poll (at 1 s), which the server tells to slow down.
    const source = await deviceLogin(running, async (prompt) => {
      await sleep(1500)
      return approveDeviceCode(prompt.verificationUri, prompt.userCode)
    }).login
    expect(await source.getAccessToken()).not.toBe("")
    expect(running.server.counters.slowDowns).toBe(1)
    // The server answers slow_down to any poll inside its (raised) interval: only the forced one came.
    expect(running.server.counters.tokenRequests[deviceCodeGrantType]).toBe(2)
    source.stop()
  }, 15_000)
})

describe("device authorization grant: expiry", () => {
  const dev = useDevServer({ deviceFlow: { interval: 1, codeTtl: 2 } })

  it("a code nobody approves ends in DeviceCodeExpired, with no tokens", async () => {
    const running = dev()
    const { login } = deviceLogin(running, async () => undefined)
    await expect(login).rejects.toMatchObject({ _tag: "DeviceCodeExpired" })
  })
})
