import { describe, expect, it } from "@effect/vitest"
import { ConfigError, defineProvider, providers, spotifyScopes } from "@grantflow/core"

const endpoints = {
  authorizationEndpoint: "https://auth.example.com/authorize",
  tokenEndpoint: "https://auth.example.com/token",
}

describe("defineProvider", () => {
  it("fills defaults: Basic client authentication, no iss promise, host as name", () => {
    expect(defineProvider(endpoints)).toEqual({
      name: "auth.example.com",
      ...endpoints,
      revocationEndpoint: undefined,
      issuer: undefined,
      tokenEndpointAuthMethod: "client_secret_basic",
      authorizationResponseIssParameterSupported: false,
    })
  })

  it.each([
    ["a relative endpoint", { tokenEndpoint: "/token" }],
    ["a fragment", { authorizationEndpoint: "https://auth.example.com/authorize#x" }],
    ["plain http off loopback", { tokenEndpoint: "http://auth.example.com/token" }],
    ["credentials in the URL", { tokenEndpoint: "https://user:pw@auth.example.com/token" }],
    ["an iss promise without an issuer", { authorizationResponseIssParameterSupported: true }],
  ])("refuses %s with a ConfigError", (_, override) => {
    expect(() => defineProvider({ ...endpoints, ...override })).toThrow(ConfigError)
  })

  it("never echoes a URL's embedded password in the error", () => {
    try {
      defineProvider({ ...endpoints, tokenEndpoint: "https://user:hunter2@auth.example.com/token" })
      expect.unreachable()
    } catch (error) {
      expect(String(error)).not.toContain("hunter2")
      expect(error).toMatchObject({ _tag: "ConfigError", name: "ConfigError" })
    }
  })

  it("allows plain http on loopback hosts for local development", () => {
    for (const host of ["127.0.0.1:4000", "localhost:4000", "[::1]:4000", "127.1.2.3"]) {
      expect(defineProvider({ ...endpoints, tokenEndpoint: `http://${host}/token` }).tokenEndpoint).toBe(
        `http://${host}/token`,
      )
    }
  })
})

describe("providers.spotify", () => {
  it("points at Spotify's accounts service with Basic authentication and no revocation", () => {
    expect(providers.spotify).toMatchObject({
      name: "spotify",
      authorizationEndpoint: "https://accounts.spotify.com/authorize",
      tokenEndpoint: "https://accounts.spotify.com/api/token",
      tokenEndpointAuthMethod: "client_secret_basic",
      revocationEndpoint: undefined,
      authorizationResponseIssParameterSupported: false,
    })
  })

  it("has a catalog of distinct, well-formed scopes", () => {
    expect(new Set(spotifyScopes).size).toBe(spotifyScopes.length)
    for (const scope of spotifyScopes) expect(scope).toMatch(/^[a-z]+(-[a-z]+)+$|^streaming$/)
    expect(spotifyScopes).toContain("user-read-email")
  })
})
