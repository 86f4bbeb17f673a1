import {
  AuthorizationRequest,
  authorizationCode,
  ClientCredentials,
  type Credentials,
  clientCredentials,
  type GrantflowError,
  type InvalidPendingLogin,
  type PendingLogin,
  providers,
  savedCredentials,
  staticToken,
  type TokenSource,
  type TokenSourceEffect,
  unsavedCredentials,
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

  it("a pending login seals to a string and unseals back, in both APIs", () => {
    expectTypeOf(authorizationCode.seal).returns.toEqualTypeOf<Promise<string>>()
    expectTypeOf(authorizationCode.unseal).returns.toEqualTypeOf<Promise<PendingLogin>>()
    expectTypeOf(AuthorizationRequest.unseal).returns.toExtend<
      Effect.Effect<PendingLogin, InvalidPendingLogin | GrantflowError>
    >()
    expectTypeOf<InvalidPendingLogin>().toExtend<GrantflowError>()
    expectTypeOf(unsavedCredentials).returns.toEqualTypeOf<Credentials | undefined>()
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
