/**
 * Providers from authorization server metadata: RFC 8414's well-known document, or OpenID
 * Connect Discovery's where the server only has that.
 *
 * @module
 */
import * as HttpClient from "@effect/platform/HttpClient"
import * as HttpClientRequest from "@effect/platform/HttpClientRequest"
import * as Duration from "effect/Duration"
import * as Effect from "effect/Effect"
import * as Either from "effect/Either"
import * as Schema from "effect/Schema"
import { ConfigError, MalformedResponse, TimeoutError, TransportError } from "./Errors.js"
import { runPromiseOn } from "./internal/bridge.js"
import { executeWithoutRedirects, wasRedirected } from "./internal/noRedirects.js"
import { describeUrl, discardBody, readJsonBody } from "./internal/responseBody.js"
import { sharedHttpRuntime } from "./internal/sharedServices.js"
import { defineProvider, type Provider, type TokenEndpointAuthMethod } from "./Provider.js"

/**
 * The members of authorization server metadata grantflow uses; others are ignored.
 *
 * @see https://www.rfc-editor.org/rfc/rfc8414#section-2
 */
export const AuthorizationServerMetadata = Schema.Struct({
  issuer: Schema.String,
  authorization_endpoint: Schema.String,
  token_endpoint: Schema.String,
  revocation_endpoint: Schema.optional(Schema.String),
  device_authorization_endpoint: Schema.optional(Schema.String),
  token_endpoint_auth_methods_supported: Schema.optional(Schema.Array(Schema.String)),
  authorization_response_iss_parameter_supported: Schema.optional(Schema.Boolean),
  code_challenge_methods_supported: Schema.optional(Schema.Array(Schema.String)),
  scopes_supported: Schema.optional(Schema.Array(Schema.String)),
})

/** @see {@link AuthorizationServerMetadata} */
export type AuthorizationServerMetadata = typeof AuthorizationServerMetadata.Type

/** What {@link discover} takes besides the issuer. */
export interface DiscoverOptions {
  /** Overrides the method chosen from `token_endpoint_auth_methods_supported`. */
  readonly tokenEndpointAuthMethod?: TokenEndpointAuthMethod | undefined
  /** Per-document timeout, headers and body together; defaults to 10 seconds. */
  readonly timeout?: Duration.DurationInput | undefined
}

/** Why discovery can fail. */
export type DiscoveryError = ConfigError | MalformedResponse | TransportError | TimeoutError

/**
 * The well-known URLs for an issuer, in the order they are tried: RFC 8414 inserts its suffix
 * before the issuer's path; OpenID Connect Discovery appends its own.
 *
 * @see https://www.rfc-editor.org/rfc/rfc8414#section-3.1
 * @see https://openid.net/specs/openid-connect-discovery-1_0.html#ProviderConfig
 */
export const wellKnownUrls = (issuer: string): ReadonlyArray<string> => {
  const url = new URL(issuer)
  const path = url.pathname === "/" ? "" : url.pathname.replace(/\/$/, "")
  return [
    `${url.origin}/.well-known/oauth-authorization-server${path}`,
    `${url.origin}${path}/.well-known/openid-configuration`,
  ]
}

/**
 * Chooses the token endpoint authentication method from the server's list. When the list is
 * absent RFC 8414 says the default is `client_secret_basic`. When it offers neither secret
 * method, the choice is `none`, and a client that has a secret is refused when it requests a
 * token, with the server's list in the message: its secret would otherwise be silently dropped.
 *
 * @see https://www.rfc-editor.org/rfc/rfc8414#section-2
 */
export const chooseAuthMethod = (supported: ReadonlyArray<string> | undefined): TokenEndpointAuthMethod => {
  if (supported === undefined || supported.includes("client_secret_basic")) return "client_secret_basic"
  if (supported.includes("client_secret_post")) return "client_secret_post"
  return "none"
}

/**
 * Turns validated metadata into a {@link Provider}; the metadata's `issuer` must equal the
 * issuer it was fetched for, character for character.
 *
 * @see https://www.rfc-editor.org/rfc/rfc8414#section-3.3
 */
export const providerFromMetadata = (
  issuer: string,
  metadata: AuthorizationServerMetadata,
  options: DiscoverOptions = {},
): Either.Either<Provider, ConfigError | MalformedResponse> => {
  if (metadata.issuer !== issuer) {
    return Either.left(
      new MalformedResponse({ reason: "IssuerMismatch", source: "metadata", fields: ["issuer"] }),
    )
  }
  return Either.try({
    try: () =>
      defineProvider({
        name: new URL(issuer).host,
        issuer,
        authorizationEndpoint: metadata.authorization_endpoint,
        tokenEndpoint: metadata.token_endpoint,
        revocationEndpoint: metadata.revocation_endpoint,
        deviceAuthorizationEndpoint: metadata.device_authorization_endpoint,
        tokenEndpointAuthMethod:
          options.tokenEndpointAuthMethod ?? chooseAuthMethod(metadata.token_endpoint_auth_methods_supported),
        tokenEndpointAuthMethodsSupported: metadata.token_endpoint_auth_methods_supported,
        authorizationResponseIssParameterSupported:
          metadata.authorization_response_iss_parameter_supported ?? false,
      }),
    catch: (error) =>
      error instanceof ConfigError
        ? error
        : new ConfigError({ reason: "the discovered metadata is unusable." }),
  })
}

const decodeMetadata = Schema.decodeUnknownEither(AuthorizationServerMetadata)

/** Same-origin redirects followed per document (a trailing slash, a moved path); more is a loop. */
const maxRedirects = 5

/**
 * Fetches one metadata document: its status and, for a 200, its JSON body. Redirects are
 * followed only within the issuer's origin: metadata served from another origin could name that
 * origin's token endpoint, and the issuer check alone would not catch a server that echoes the
 * issuer it is asked about.
 */
const fetchDocument = (
  client: HttpClient.HttpClient,
  url: string,
  timeoutMs: number,
): Effect.Effect<{ readonly status: number; readonly body?: unknown }, DiscoveryError> =>
  Effect.gen(function* () {
    const origin = new URL(url).origin
    let current = url
    for (let hop = 0; ; hop++) {
      const request = HttpClientRequest.get(current, { acceptJson: true })
      const response = yield* executeWithoutRedirects(client, request).pipe(
        Effect.mapError(
          (error) => new TransportError({ reason: "Network", url: describeUrl(url), cause: error.cause }),
        ),
      )
      const redirected = refuseOtherOrigin(
        origin,
        wasRedirected(request, response) ? response.request.url : undefined,
        response.status,
      )
      if (redirected !== undefined) {
        yield* discardBody(response)
        return yield* redirected
      }
      const location = response.headers.location
      if (response.status >= 300 && response.status < 400 && location !== undefined) {
        yield* discardBody(response)
        const next = yield* Either.try({
          try: () => new URL(location, current).href,
          catch: () => redirectError(response.status),
        })
        const refused = refuseOtherOrigin(origin, next, response.status)
        if (refused !== undefined) return yield* refused
        if (hop >= maxRedirects) return yield* redirectError(response.status)
        current = next
        continue
      }
      if (response.status !== 200) {
        yield* discardBody(response)
        return { status: response.status }
      }
      return { status: 200, body: yield* readJsonBody(response, "metadata", describeUrl(current)) }
    }
  }).pipe(
    // The timeout covers redirects and the body: a server that sends headers and then never ends
    // the body is cut off like one that never answers.
    Effect.timeoutFail({
      duration: timeoutMs,
      onTimeout: () => new TimeoutError({ url: describeUrl(url), timeoutMs }),
    }),
  )

const redirectError = (status: number) =>
  new MalformedResponse({ reason: "Redirected", source: "metadata", status })

const refuseOtherOrigin = (
  origin: string,
  target: string | undefined,
  status: number,
): MalformedResponse | undefined => {
  if (target === undefined) return undefined
  try {
    return new URL(target).origin === origin ? undefined : redirectError(status)
  } catch {
    return redirectError(status)
  }
}

/**
 * Discovers a provider from its issuer identifier. The RFC 8414 document is tried first; a 404
 * there falls back to OpenID Connect Discovery. Redirects to another origin are refused.
 *
 * @see https://www.rfc-editor.org/rfc/rfc8414#section-3
 */
export const discover = (
  issuer: string,
  options: DiscoverOptions = {},
): Effect.Effect<Provider, DiscoveryError, HttpClient.HttpClient> =>
  Effect.gen(function* () {
    const urls = yield* Either.try({
      try: () => wellKnownUrls(issuer),
      catch: () => new ConfigError({ reason: "the issuer must be an absolute URL." }),
    })
    const client = yield* HttpClient.HttpClient
    const timeoutMs = Duration.toMillis(options.timeout ?? "10 seconds")
    for (const [index, url] of urls.entries()) {
      const document = yield* fetchDocument(client, url, timeoutMs)
      if (document.status === 404 && index < urls.length - 1) continue
      if (document.status >= 500) {
        return yield* new TransportError({
          reason: "ServerError",
          url: describeUrl(url),
          status: document.status,
        })
      }
      if (document.status !== 200) {
        return yield* new MalformedResponse({
          reason: "UnexpectedStatus",
          source: "metadata",
          status: document.status,
        })
      }
      const metadata = decodeMetadata(document.body)
      if (Either.isLeft(metadata)) {
        return yield* new MalformedResponse({ reason: "InvalidMetadata", source: "metadata" })
      }
      return yield* providerFromMetadata(issuer, metadata.right, options)
    }
    return yield* new MalformedResponse({ reason: "UnexpectedStatus", source: "metadata", status: 404 })
  })

/**
 * Promise form of {@link discover}, over the core's own HTTP layer (undici in Node, `fetch`
 * elsewhere).
 *
 * @see https://www.rfc-editor.org/rfc/rfc8414#section-3
 */
export const discoverProvider = (issuer: string, options?: DiscoverOptions): Promise<Provider> =>
  runPromiseOn(sharedHttpRuntime(), discover(issuer, options))
