import { describe, expect, it } from "@effect/vitest"
import { AuthorizationCode, AuthorizationRequest, Entropy, type PendingLogin } from "@grantflow/core"
import * as Effect from "effect/Effect"
import * as FaultyHttpClient from "../support/FaultyHttpClient.js"
import { harness, provider, tokenResponse } from "../support/flowHarness.js"

const redirectUri = "https://app.example.com/callback"
const login = (pkce = true) =>
  AuthorizationRequest.begin({ provider, clientId: "web", redirectUri, scopes: ["profile"], pkce }).pipe(
    Effect.provide(Entropy.layer),
  )
const callback = (query: Record<string, string>) => `${redirectUri}?${new URLSearchParams(query)}`

describe("authorization code", () => {
  it.scoped("exchanges a checked code once, with the verifier and the client's Basic authentication", () =>
    Effect.gen(function* () {
      const { server, layer } = harness([tokenResponse(1, { refresh_token: "refresh-1" })])
      const { pending } = yield* login()
      const user = yield* AuthorizationCode.complete({
        provider,
        clientId: "web",
        clientSecret: "s3cret",
        pending,
        callbackUrl: callback({ code: "the-code", state: pending.state, iss: provider.issuer }),
      }).pipe(Effect.provide(layer))
      expect(yield* user.accessToken).toBe("access-1")
      expect(yield* user.credentials).toMatchObject({ refreshToken: "refresh-1", scopes: ["profile"] })
      expect(server.requests).toHaveLength(1)
      expect(server.requests[0]!.form).toEqual({
        grant_type: "authorization_code",
        code: "the-code",
        redirect_uri: redirectUri,
        code_verifier: pending.codeVerifier,
      })
      expect(server.requests[0]!.headers.authorization).toMatch(/^Basic /)
    }),
  )

  it.scoped("a wrong state, a wrong iss or a denial never reaches the token endpoint", () =>
    Effect.gen(function* () {
      const { server, layer } = harness([tokenResponse(1)])
      const { pending } = yield* login()
      const attempts = [
        [callback({ code: "c", state: "forged", iss: provider.issuer }), "StateMismatch"],
        [callback({ code: "c", state: pending.state, iss: "https://evil.example" }), "MalformedResponse"],
        [callback({ code: "c", state: pending.state }), "MalformedResponse"],
        [
          callback({ error: "access_denied", state: pending.state, iss: provider.issuer }),
          "AuthorizationDenied",
        ],
      ] as const
      for (const [callbackUrl, tag] of attempts) {
        const error = yield* Effect.flip(
          Effect.scoped(
            AuthorizationCode.complete({
              provider,
              clientId: "web",
              clientSecret: "s",
              pending,
              callbackUrl,
            }).pipe(Effect.provide(layer)),
          ),
        )
        expect(error._tag).toBe(tag)
      }
      expect(server.requests).toHaveLength(0)
    }),
  )

  it.scoped("an expired code is the caller's OAuthError, and is not retried", () =>
    Effect.gen(function* () {
      const { server, layer } = harness([FaultyHttpClient.json(400, { error: "invalid_grant" })])
      const { pending } = yield* login()
      const error = yield* Effect.flip(
        AuthorizationCode.complete({
          provider,
          clientId: "web",
          clientSecret: "s",
          pending,
          callbackUrl: callback({ code: "old", state: pending.state, iss: provider.issuer }),
        }).pipe(Effect.provide(layer)),
      )
      expect(error).toMatchObject({ _tag: "OAuthError", error: "invalid_grant" })
      expect(server.requests).toHaveLength(1)
    }),
  )

  it.scoped("refuses a public client without PKCE, and a pending login of another shape", () =>
    Effect.gen(function* () {
      const { layer } = harness([tokenResponse(1)])
      const { pending } = yield* login(false)
      const cb = callback({ code: "c", state: pending.state, iss: provider.issuer })
      const noPkce = yield* Effect.flip(
        AuthorizationCode.complete({ provider, clientId: "spa", pending, callbackUrl: cb }).pipe(
          Effect.provide(layer),
        ),
      )
      expect(noPkce._tag).toBe("ConfigError")
      const garbled = yield* Effect.flip(
        AuthorizationCode.complete({
          provider,
          clientId: "spa",
          // A garbled record read back from storage: the types cannot see it, the decoder does.
          pending: { state: 1 } as unknown as PendingLogin,
          callbackUrl: cb,
        }).pipe(Effect.provide(layer)),
      )
      expect(garbled).toMatchObject({ _tag: "InvalidPendingLogin", reason: "Malformed" })
    }),
  )
})
