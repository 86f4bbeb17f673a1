import {
  AuthorizationRequest,
  type Provider,
  providers,
  type SpotifyAuthorizationParams,
  type SpotifyScope,
} from "@grantflow/core"
import { describe, expectTypeOf, it } from "vitest"

describe("provider types", () => {
  it("types Spotify's scopes", () => {
    expectTypeOf(providers.spotify).toEqualTypeOf<Provider<SpotifyScope, SpotifyAuthorizationParams>>()
    expectTypeOf<"user-read-email">().toExtend<SpotifyScope>()
    expectTypeOf<"user-read-emails">().not.toExtend<SpotifyScope>()
  })

  it("refuses a misspelt scope for a Spotify login", () => {
    AuthorizationRequest.begin({
      provider: providers.spotify,
      clientId: "id",
      redirectUri: "http://127.0.0.1:8080/callback",
      scopes: ["user-read-email"],
    })
    AuthorizationRequest.begin({
      provider: providers.spotify,
      clientId: "id",
      redirectUri: "http://127.0.0.1:8080/callback",
      // @ts-expect-error: not a Spotify scope
      scopes: ["user-read-emails"],
    })
  })
})
