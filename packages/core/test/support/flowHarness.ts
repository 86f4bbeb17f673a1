/**
 * Wiring for flow tests: the real token endpoint service and in-memory store over a
 * FaultyHttpClient script (fault injection only; end-to-end runs use the dev-server).
 */
import * as HttpClient from "@effect/platform/HttpClient"
import { CredentialStore, TokenEndpoint } from "@grantflow/core"
import * as Layer from "effect/Layer"
import * as FaultyHttpClient from "./FaultyHttpClient.js"

export const provider = {
  name: "test",
  authorizationEndpoint: "https://auth.example.com/authorize",
  tokenEndpoint: "https://auth.example.com/token",
  revocationEndpoint: "https://auth.example.com/revoke",
  issuer: "https://auth.example.com",
  tokenEndpointAuthMethod: "client_secret_basic",
  authorizationResponseIssParameterSupported: true,
} as const

/** The flow services over a scripted server; `server.requests` counts what reached it. */
export const harness = (
  script: ReadonlyArray<FaultyHttpClient.Step>,
  options?: TokenEndpoint.TokenEndpointOptions,
) => {
  const server = FaultyHttpClient.make(script)
  const layer = Layer.mergeAll(
    TokenEndpoint.layer({ retry: { maxRetries: 0 }, ...options }).pipe(
      Layer.provide(Layer.succeed(HttpClient.HttpClient, server.client)),
    ),
    CredentialStore.layerMemory,
  )
  return { server, layer }
}

/** A token response numbered so tests can tell renewals apart. */
export const tokenResponse = (n: number, extra: Record<string, unknown> = {}) =>
  FaultyHttpClient.json(200, {
    access_token: `access-${n}`,
    token_type: "Bearer",
    expires_in: 3600,
    ...extra,
  })
