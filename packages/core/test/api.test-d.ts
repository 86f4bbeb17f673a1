import {
  authorizationCode,
  ClientCredentials,
  type Credentials,
  clientCredentials,
  type GrantflowError,
  type PendingLogin,
  providers,
  savedCredentials,
  staticToken,
  type TokenSource,
  type TokenSourceEffect,
} from "@grantflow/core"
import type * as Effect from "effect/Effect"
import { describe, expectTypeOf, it } from "vitest"

describe("the public API's types", () => {
  it("every Promise flow yields a TokenSource", () => {
    expectTypeOf(clientCredentials).returns.toEqualTypeOf<TokenSource>()
    expectTypeOf(savedCredentials).returns.toEqualTypeOf<TokenSource>()
    expectTypeOf(authorizationCode.complete<string, PendingLogin>).returns.toEqualTypeOf<
      Promise<TokenSource>
    >()
    expectTypeOf(staticToken).returns.toExtend<TokenSource>()
    expectTypeOf<TokenSource["getAccessToken"]>().returns.toEqualTypeOf<Promise<string>>()
    expectTypeOf<TokenSource["getCredentials"]>().returns.toEqualTypeOf<Promise<Credentials>>()
    expectTypeOf<TokenSource["peekAccessToken"]>().returns.toEqualTypeOf<string | undefined>()
  })

  it("begin returns a URL and a pending login", () => {
    expectTypeOf(authorizationCode.begin).returns.resolves.toEqualTypeOf<{
      readonly url: string
      readonly pending: PendingLogin
    }>()
  })

  it("client credentials need a secret; a Spotify source takes only Spotify scopes", () => {
    // @ts-expect-error: clientSecret is required for client credentials
    clientCredentials({ provider: providers.spotify, clientId: "id" })
    clientCredentials({
      provider: providers.spotify,
      clientId: "id",
      clientSecret: "s",
      scopes: ["user-read-email"],
    })
    clientCredentials({
      provider: providers.spotify,
      clientId: "id",
      clientSecret: "s",
      // @ts-expect-error: not a Spotify scope
      scopes: ["user-reed-email"],
    })
  })

  it("the Effect API puts grantflow's errors in the error channel", () => {
    expectTypeOf<TokenSourceEffect["accessToken"]>().toEqualTypeOf<Effect.Effect<string, GrantflowError>>()
    expectTypeOf(ClientCredentials.make).returns.toExtend<
      Effect.Effect<TokenSourceEffect, unknown, unknown>
    >()
  })
})
