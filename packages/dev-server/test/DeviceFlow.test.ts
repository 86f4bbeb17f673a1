import { approveDeviceCode, type DevServer, deviceCodeGrantType, startDevServer } from "@grantflow/dev-server"
import { afterAll, beforeAll, describe, expect, it } from "vitest"
import { getResource, postForm, sleep, tokenRequest } from "./helpers.js"

describe("the device authorization grant (RFC 8628)", () => {
  let server: DevServer

  beforeAll(async () => {
    server = await startDevServer({ deviceFlow: { interval: 1 } })
  })
  afterAll(() => server.stop())

  const deviceAuthorization = async (scope = "user-read-email") => {
    const response = await postForm(`${server.issuer}/device/auth`, server.clients.cli, { scope })
    expect(response.status).toBe(200)
    return response.body as {
      device_code: string
      user_code: string
      verification_uri: string
      interval: number
      expires_in: number
    }
  }
  const poll = (deviceCode: string) =>
    tokenRequest(server, server.clients.cli, { grant_type: deviceCodeGrantType, device_code: deviceCode })

  it("is in the metadata, with the CLI client allowed it", async () => {
    const metadata = await fetch(server.metadataUrl).then((r) => r.json())
    expect(metadata.device_authorization_endpoint).toBe(`${server.issuer}/device/auth`)
    expect(metadata.grant_types_supported).toContain(deviceCodeGrantType)
    expect(server.clients.cli.grantTypes).toContain(deviceCodeGrantType)
  })

  it("announces the interval, answers pending, then tokens once the user approved", async () => {
    const device = await deviceAuthorization()
    expect(device.interval).toBe(1)
    expect(device.verification_uri).toBe(server.deviceVerificationUri)
    expect((await poll(device.device_code)).body.error).toBe("authorization_pending")
    expect(await approveDeviceCode(device.verification_uri, device.user_code, { username: "ada" })).toBe(
      "approved",
    )
    await sleep(1000)
    const tokens = await poll(device.device_code)
    expect(tokens.status).toBe(200)
    const me = await getResource(server, "/v1/me", tokens.body.access_token as string)
    expect(me.body.id).toBe("ada")
  })

  it("answers slow_down to a poll inside the interval, and counts it", async () => {
    const device = await deviceAuthorization()
    const before = server.counters.slowDowns
    expect((await poll(device.device_code)).body.error).toBe("authorization_pending")
    expect((await poll(device.device_code)).body.error).toBe("slow_down")
    expect(server.counters.slowDowns).toBe(before + 1)
  })

  it("ends in access_denied when the user refuses, at the consent or the confirmation", async () => {
    for (const refusal of [{ consent: "deny" }, { confirm: "abort" }] as const) {
      const device = await deviceAuthorization()
      expect(await approveDeviceCode(device.verification_uri, device.user_code, refusal)).toBe("denied")
      expect((await poll(device.device_code)).body.error).toBe("access_denied")
    }
  })

  it("refuses an unknown user code", async () => {
    await expect(approveDeviceCode(server.deviceVerificationUri, "BCDF-GHJK")).rejects.toThrow(/refused/)
  })
})
