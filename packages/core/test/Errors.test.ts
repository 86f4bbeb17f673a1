import { describe, expect, it } from "@effect/vitest"
import {
  AuthorizationDenied,
  ConfigError,
  MalformedResponse,
  OAuthError,
  RateLimited,
  ReauthenticationRequired,
  StateMismatch,
  TimeoutError,
  TokenExpired,
  TransportError,
} from "@grantflow/core"

const samples = [
  new OAuthError({ endpoint: "token", error: "invalid_grant", errorDescription: "expired", status: 400 }),
  new AuthorizationDenied({ errorDescription: "no" }),
  new StateMismatch({ reason: "Mismatch" }),
  new ReauthenticationRequired({ reason: "InvalidGrant" }),
  new RateLimited({ retryAfterMs: 120_000 }),
  new TransportError({ reason: "ServerError", url: "https://auth.example.com/token", status: 502 }),
  new MalformedResponse({ reason: "InvalidTokenResponse", source: "token", fields: ["access_token"] }),
  new TimeoutError({ url: "https://auth.example.com/token", timeoutMs: 30_000 }),
  new TokenExpired({ expiredAt: 0 }),
  new ConfigError({ reason: "clientId must not be empty." }),
]

describe("errors", () => {
  it.each(samples.map((error) => [error._tag, error] as const))(
    "%s is an Error whose name is its tag",
    (tag, error) => {
      expect(error).toBeInstanceOf(Error)
      expect(error.name).toBe(tag)
      expect(String(error)).toContain(tag)
    },
  )

  it("messages say what happened and what to do", () => {
    expect(samples[0]!.message).toMatch(/invalid_grant.*expired.*log in again/)
    expect(samples[4]!.message).toMatch(/120 s/)
    expect(samples[5]!.message).toMatch(/502/)
    expect(samples[6]!.message).toMatch(/access_token/)
    expect(new Set(samples.map((error) => error.message)).size).toBe(samples.length)
  })
})
