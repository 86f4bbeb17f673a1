import { describe, expect, it } from "@effect/vitest"
import { AuthorizationRequest, defineProvider, Entropy, Pkce, providers } from "@grantflow/core"
import * as Effect from "effect/Effect"
import * as Either from "effect/Either"
import * as TestClock from "effect/TestClock"
import * as fc from "fast-check"

const provider = defineProvider({
  authorizationEndpoint: "https://auth.example.com/authorize",
  tokenEndpoint: "https://auth.example.com/token",
  issuer: "https://auth.example.com",
})

const base = {
  provider,
  clientId: "client-1",
  redirectUri: "https://app.example.com/callback",
  state: "s".repeat(43),
}

const paramName = fc
  .string({ minLength: 1, maxLength: 12 })
  .filter((name) => !AuthorizationRequest.reservedParams.has(name))
const paramValue = fc.string({ maxLength: 30 })

describe("buildAuthorizationUrl", () => {
  it("sets the code flow parameters, S256 and space-joined scopes", () => {
    const url = Either.getOrThrow(
      AuthorizationRequest.buildAuthorizationUrl({
        ...base,
        scopes: ["user-read-email", "playlist-read-private"],
        codeChallenge: "c".repeat(43),
      }),
    )
    expect(url.origin + url.pathname).toBe("https://auth.example.com/authorize")
    expect(Object.fromEntries(url.searchParams)).toEqual({
      response_type: "code",
      client_id: "client-1",
      redirect_uri: "https://app.example.com/callback",
      scope: "user-read-email playlist-read-private",
      state: base.state,
      code_challenge: "c".repeat(43),
      code_challenge_method: "S256",
    })
    expect(url.search).toContain("scope=user-read-email+playlist-read-private")
  })

  it("keeps arbitrary existing query parameters on the endpoint and round-trips extra params", () => {
    fc.assert(
      fc.property(
        fc.uniqueArray(fc.tuple(paramName, paramValue), { selector: ([name]) => name, maxLength: 5 }),
        fc.dictionary(paramName, fc.oneof(paramValue, fc.boolean(), fc.integer())),
        (existing, extra) => {
          fc.pre(existing.every(([name]) => !(name in extra)))
          const endpoint = new URL("https://auth.example.com/authorize")
          for (const [name, value] of existing) endpoint.searchParams.append(name, value)
          const url = Either.getOrThrow(
            AuthorizationRequest.buildAuthorizationUrl({
              ...base,
              provider: { ...provider, authorizationEndpoint: endpoint.href },
              params: extra,
            }),
          )
          for (const [name, value] of existing) expect(url.searchParams.getAll(name)).toEqual([value])
          for (const [name, value] of Object.entries(extra))
            expect(url.searchParams.getAll(name)).toEqual([String(value)])
          expect(url.searchParams.get("state")).toBe(base.state)
          expect(url.hash).toBe("")
        },
      ),
    )
  })

  it("refuses to let params override grantflow's own parameters", () => {
    for (const name of AuthorizationRequest.reservedParams) {
      const result = AuthorizationRequest.buildAuthorizationUrl({ ...base, params: { [name]: "x" } })
      expect(result).toMatchObject({ _tag: "Left", left: { _tag: "ConfigError" } })
    }
  })

  it("refuses a parameter that the endpoint's query already has, instead of sending it twice", () => {
    const result = AuthorizationRequest.buildAuthorizationUrl({
      ...base,
      provider: { ...provider, authorizationEndpoint: "https://auth.example.com/authorize?client_id=other" },
    })
    expect(result).toMatchObject({ _tag: "Left", left: { _tag: "ConfigError" } })
  })

  it("refuses an endpoint or redirect URI with a fragment", () => {
    const withFragment = AuthorizationRequest.buildAuthorizationUrl({
      ...base,
      provider: { ...provider, authorizationEndpoint: "https://auth.example.com/authorize#x" },
    })
    expect(withFragment).toMatchObject({ _tag: "Left", left: { _tag: "ConfigError" } })
    const redirect = AuthorizationRequest.buildAuthorizationUrl({
      ...base,
      redirectUri: "https://app/cb#frag",
    })
    expect(redirect).toMatchObject({ _tag: "Left", left: { _tag: "ConfigError" } })
    const relative = AuthorizationRequest.buildAuthorizationUrl({ ...base, redirectUri: "/callback" })
    expect(relative).toMatchObject({ _tag: "Left", left: { _tag: "ConfigError" } })
  })

  it("sends Spotify's show_dialog as a string", () => {
    const url = Either.getOrThrow(
      AuthorizationRequest.buildAuthorizationUrl({
        ...base,
        provider: providers.spotify,
        scopes: ["user-read-private"],
        params: { show_dialog: true },
      }),
    )
    expect(url.host).toBe("accounts.spotify.com")
    expect(url.searchParams.get("show_dialog")).toBe("true")
  })
})

describe("begin", () => {
  it.effect("produces a URL and a JSON pending login that decodes back unchanged", () =>
    Effect.gen(function* () {
      yield* TestClock.setTime(1_700_000_000_000)
      const { url, pending } = yield* AuthorizationRequest.begin({
        provider,
        clientId: "client-1",
        redirectUri: base.redirectUri,
        scopes: ["openid"],
      })
      const parsed = new URL(url)
      expect(parsed.searchParams.get("state")).toBe(pending.state)
      expect(pending.codeVerifier).toMatch(Pkce.verifierPattern)
      expect(parsed.searchParams.get("code_challenge")).toBe(yield* Pkce.challengeOf(pending.codeVerifier!))
      expect(pending).toMatchObject({ version: 1, issuer: provider.issuer, createdAt: 1_700_000_000_000 })
      // The verifier is in the pending login, never in the URL.
      expect(url).not.toContain(pending.codeVerifier)
      const restored = yield* AuthorizationRequest.decodePendingLogin(JSON.parse(JSON.stringify(pending)))
      expect(restored).toEqual(pending)
    }).pipe(Effect.provide(Entropy.layer)),
  )

  it.effect("omits PKCE only when asked", () =>
    Effect.gen(function* () {
      const { url, pending } = yield* AuthorizationRequest.begin({ ...base, pkce: false })
      expect(new URL(url).searchParams.has("code_challenge")).toBe(false)
      expect(pending.codeVerifier).toBeUndefined()
    }).pipe(Effect.provide(Entropy.layer)),
  )

  it.effect("refuses a pending login of another shape", () =>
    Effect.gen(function* () {
      const result = yield* Effect.either(AuthorizationRequest.decodePendingLogin({ state: "x", version: 2 }))
      expect(result._tag).toBe("Left")
    }),
  )
})
