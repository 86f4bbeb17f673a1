/**
 * The token-path candidates: each obtains one client-credentials access token per call from the
 * stand-in server, the way its users would, with HTTP Basic client authentication
 * (RFC 6749 §2.3.1) and the same form body.
 *
 * @module
 */
import {
  ClientCredentials,
  CredentialStore,
  clientCredentials,
  defineProvider,
  TokenEndpoint,
  type TokenSource,
} from "@grantflow/core"
import * as Clock from "effect/Clock"
import * as Effect from "effect/Effect"
import * as Layer from "effect/Layer"
import * as ManagedRuntime from "effect/ManagedRuntime"
import * as Redacted from "effect/Redacted"
import * as Scope from "effect/Scope"
import * as oauth from "oauth4webapi"
import { ClientCredentials as SimpleClientCredentials } from "simple-oauth2"
import { Agent, request as undiciRequest } from "undici"
import * as HttpNode from "../../core/dist/platform/httpNode.js"

export const clientId = "bench-client"
export const clientSecret = "bench-secret-0123456789"
export const scopes = ["user-read-email", "user-read-private"] as const

const basic = `Basic ${Buffer.from(`${encodeURIComponent(clientId)}:${encodeURIComponent(clientSecret)}`).toString("base64")}`
const form = new URLSearchParams({ grant_type: "client_credentials", scope: scopes.join(" ") }).toString()
const headers = {
  authorization: basic,
  "content-type": "application/x-www-form-urlencoded;charset=UTF-8",
  accept: "application/json",
}

/** One client as one caller holds it: `once` returns a fresh access token. */
export interface TokenClient {
  readonly once: () => Promise<string>
  readonly close: () => Promise<void>
}

export interface Candidate {
  readonly name: string
  readonly create: (tokenUrl: string) => Promise<TokenClient>
}

const accessTokenOf = (body: unknown): string => (body as { readonly access_token: string }).access_token

export const rawFetch: Candidate = {
  name: "raw fetch (baseline)",
  create: async (tokenUrl) => ({
    once: () =>
      fetch(tokenUrl, { method: "POST", headers, body: form })
        .then((response) => response.json())
        .then(accessTokenOf),
    close: async () => {},
  }),
}

export const rawUndici: Candidate = {
  name: "raw undici.request",
  create: async (tokenUrl) => {
    const agent = new Agent()
    return {
      once: () =>
        undiciRequest(tokenUrl, { dispatcher: agent, method: "POST", headers, body: form })
          .then((response) => response.body.json())
          .then(accessTokenOf),
      close: () => agent.destroy(),
    }
  },
}

const providerFor = (tokenUrl: string) =>
  defineProvider({ authorizationEndpoint: new URL("/authorize", tokenUrl).href, tokenEndpoint: tokenUrl })

/** A grantflow client-credentials source on the stand-in server. */
export const sourceAt = (tokenUrl: string) =>
  clientCredentials({ provider: providerFor(tokenUrl), clientId, clientSecret, scopes })

// A clock that moves 1 ms further at every reading. The core takes `expires_in: 0` as "no expiry
// given" (RFC 6749 §5.1 leaves it optional), so the due endpoint issues tokens that live 1 ms
// (`expires_in: 0.001`): with this clock the next call always finds the token due, however fast
// it comes.
let ticks = 0
const live = Clock.make()
const ticking: Clock.Clock = {
  [Clock.ClockTypeId]: Clock.ClockTypeId,
  unsafeCurrentTimeMillis: () => live.unsafeCurrentTimeMillis() + ticks++,
  currentTimeMillis: Effect.sync(() => live.unsafeCurrentTimeMillis() + ticks++),
  unsafeCurrentTimeNanos: () => live.unsafeCurrentTimeNanos() + BigInt(ticks++) * 1_000_000n,
  currentTimeNanos: Effect.sync(() => live.unsafeCurrentTimeNanos() + BigInt(ticks++) * 1_000_000n),
  sleep: (duration) => live.sleep(duration),
}

// Core's default services (its Node HTTP layer, a memory store), built once like the Promise API's.
const services = ManagedRuntime.make(
  Layer.mergeAll(TokenEndpoint.layerDefault(), CredentialStore.layerMemory),
)

/**
 * A grantflow client-credentials source on the due endpoint whose token is due at every call:
 * the Promise API (`source`) of a source started through the Effect API on the ticking clock.
 */
export const dueSourceAt = (tokenUrl: string): TokenSource => {
  const scope = Effect.runSync(Scope.make())
  const started = ClientCredentials.make({ provider: providerFor(tokenUrl), clientId, clientSecret, scopes })
  return services.runSync(started.pipe(Scope.extend(scope), Effect.withClock(ticking))).source
}

/** The whole path a Promise-API user pays: a long-lived source whose token is always due. */
export const grantflowSource: Candidate = {
  name: "grantflow clientCredentials().getAccessToken()",
  create: async (tokenUrl) => {
    const source = dueSourceAt(tokenUrl)
    return { once: () => source.getAccessToken(), close: async () => source.stop() }
  },
}

/** The Effect service alone, over core's Node HTTP layer: no machine, no source. */
export const grantflowTokenEndpoint: Candidate = {
  name: "grantflow TokenEndpoint.request",
  create: async (tokenUrl) => {
    const runtime = ManagedRuntime.make(TokenEndpoint.layer().pipe(Layer.provide(HttpNode.layer)))
    const endpoint = await runtime.runPromise(TokenEndpoint.TokenEndpoint)
    const request = endpoint.request({
      provider: providerFor(tokenUrl),
      client: { clientId, clientSecret: Redacted.make(clientSecret) },
      grant: { type: "client_credentials", scopes },
    })
    return {
      once: () => runtime.runPromise(request).then((response) => Redacted.value(response.accessToken)),
      close: () => runtime.dispose(),
    }
  },
}

export const oauth4webapi: Candidate = {
  name: "oauth4webapi",
  create: async (tokenUrl) => {
    const server: oauth.AuthorizationServer = { issuer: new URL(tokenUrl).origin, token_endpoint: tokenUrl }
    const client: oauth.Client = { client_id: clientId }
    const authentication = oauth.ClientSecretBasic(clientSecret)
    const parameters = new URLSearchParams({ scope: scopes.join(" ") })
    const options = { [oauth.allowInsecureRequests]: true }
    return {
      once: async () => {
        const response = await oauth.clientCredentialsGrantRequest(
          server,
          client,
          authentication,
          parameters,
          options,
        )
        return (await oauth.processClientCredentialsResponse(server, client, response)).access_token
      },
      close: async () => {},
    }
  },
}

export const simpleOauth2: Candidate = {
  name: "simple-oauth2",
  create: async (tokenUrl) => {
    const url = new URL(tokenUrl)
    const client = new SimpleClientCredentials({
      client: { id: clientId, secret: clientSecret },
      auth: { tokenHost: url.origin, tokenPath: url.pathname },
    })
    return {
      once: () => client.getToken({ scope: [...scopes] }).then((token) => token.token.access_token),
      close: async () => {},
    }
  },
}

/** In the order of the report's table; the first is every ratio's baseline. */
export const candidates: ReadonlyArray<Candidate> = [
  rawFetch,
  rawUndici,
  grantflowSource,
  grantflowTokenEndpoint,
  oauth4webapi,
  simpleOauth2,
]
