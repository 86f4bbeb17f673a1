import {
  authorizationCode,
  type Credentials,
  defineProvider,
  fromPromiseStore,
  type PendingLogin,
  type PromiseCredentialStore,
  providers,
  savedCredentials,
  type TokenSource,
} from "@grantflow/core"
import { describe, expectTypeOf, it } from "vitest"

declare const callbackUrl: string
declare const credentials: Credentials
declare const somePending: PendingLogin
declare const fromSession: unknown

const redirectUri = "http://127.0.0.1:3000/callback"

describe("mistakes an embedder can make are compile errors", () => {
  it("pending must be a pending login", async () => {
    await authorizationCode.complete({
      provider: providers.spotify,
      clientId: "id",
      // @ts-expect-error: a number is not a pending login
      pending: 42,
      callbackUrl,
    })
    await authorizationCode.complete({
      provider: providers.spotify,
      clientId: "id",
      // @ts-expect-error: a value of unknown shape must be decoded first
      pending: fromSession,
      callbackUrl,
    })
    expectTypeOf(
      authorizationCode.complete({
        provider: providers.spotify,
        clientId: "id",
        pending: somePending,
        callbackUrl,
      }),
    ).toEqualTypeOf<Promise<TokenSource>>()
  })

  it("saved credentials must be Credentials", () => {
    // @ts-expect-error: a string is not Credentials
    savedCredentials({ provider: providers.spotify, clientId: "id", credentials: "token" })
    savedCredentials({ provider: providers.spotify, clientId: "id", credentials })
  })

  it("params are the provider's own", async () => {
    await authorizationCode.begin({
      provider: providers.spotify,
      clientId: "id",
      redirectUri,
      // @ts-expect-error: Spotify has show_dialog, not show_dailog
      params: { show_dailog: true },
    })
    await authorizationCode.begin({
      provider: providers.spotify,
      clientId: "id",
      redirectUri,
      // @ts-expect-error: show_dialog is a boolean
      params: { show_dialog: "yes" },
    })
    await authorizationCode.begin({
      provider: providers.spotify,
      clientId: "id",
      redirectUri,
      params: { show_dialog: true },
    })
  })

  it("a login begun without PKCE needs the client secret to complete", async () => {
    const { pending } = await authorizationCode.begin({
      provider: providers.spotify,
      clientId: "id",
      redirectUri,
      pkce: false,
    })
    // @ts-expect-error: without PKCE only a confidential client can redeem the code
    await authorizationCode.complete({ provider: providers.spotify, clientId: "id", pending, callbackUrl })
    await authorizationCode.complete({
      provider: providers.spotify,
      clientId: "id",
      clientSecret: "secret",
      pending,
      callbackUrl,
    })
    const withPkce = await authorizationCode.begin({
      provider: providers.spotify,
      clientId: "id",
      redirectUri,
    })
    await authorizationCode.complete({
      provider: providers.spotify,
      clientId: "id",
      pending: withPkce.pending,
      callbackUrl,
    })
  })

  it("a custom provider that lists its scopes refuses others", async () => {
    const provider = defineProvider({
      authorizationEndpoint: "https://auth.example.com/authorize",
      tokenEndpoint: "https://auth.example.com/token",
      scopes: ["read", "write"],
    })
    await authorizationCode.begin({ provider, clientId: "id", redirectUri, scopes: ["read"] })
    // @ts-expect-error: "admin" is not one of the provider's scopes
    await authorizationCode.begin({ provider, clientId: "id", redirectUri, scopes: ["admin"] })
    const custom = defineProvider<"openid", { readonly prompt?: "login" | "none" }>({
      authorizationEndpoint: "https://auth.example.com/authorize",
      tokenEndpoint: "https://auth.example.com/token",
    })
    // @ts-expect-error: prompt takes "login" or "none"
    await authorizationCode.begin({ provider: custom, clientId: "id", redirectUri, params: { prompt: "x" } })
  })

  it("a Promise-shaped store is a store", () => {
    const store: PromiseCredentialStore = {
      get: async () => undefined,
      set: async () => {},
      remove: async () => {},
      withLock: (_key, fn) => fn(),
    }
    savedCredentials({ provider: providers.spotify, clientId: "id", credentials, store })
    fromPromiseStore(store)
    savedCredentials({
      provider: providers.spotify,
      clientId: "id",
      credentials,
      // @ts-expect-error: withLock must hand the function's outcome back
      store: { ...store, withLock: async () => {} },
    })
  })
})
