/**
 * The token endpoint as an Effect service: the request step of each grant (client
 * authentication, form body), a per-request timeout and the retry policy, over
 * `@effect/platform`'s HttpClient. Responses are processed in `TokenResponse.ts`.
 *
 * @module
 */
import * as HttpClient from "@effect/platform/HttpClient"
import * as HttpClientRequest from "@effect/platform/HttpClientRequest"
import type * as HttpClientResponse from "@effect/platform/HttpClientResponse"
import * as Context from "effect/Context"
import * as Duration from "effect/Duration"
import * as Effect from "effect/Effect"
import * as Either from "effect/Either"
import * as Layer from "effect/Layer"
import * as Redacted from "effect/Redacted"
import { layer as platformHttp } from "#platform/http"
import {
  ConfigError,
  MalformedResponse,
  type OAuthError,
  type RateLimited,
  TimeoutError,
  TransportError,
} from "./Errors.js"
import { authenticateClient, encodeForm } from "./internal/clientAuthentication.js"
import { executeWithoutRedirects, wasRedirected } from "./internal/noRedirects.js"
import { describeUrl, discardBody } from "./internal/responseBody.js"
import type { Provider } from "./Provider.js"
import { type RetryOptions, retrySchedule } from "./Retry.js"
import {
  type ProcessOptions,
  processRevocationResponse,
  processTokenResponse,
  type TokenResponse,
} from "./TokenResponse.js"

/**
 * The client's identity at the token endpoint; the secret is absent for public clients.
 *
 * @see https://www.rfc-editor.org/rfc/rfc6749#section-2.3.1
 */
export interface ClientCredentials {
  readonly clientId: string
  readonly clientSecret?: Redacted.Redacted<string> | undefined
}

/**
 * The grant a token request presents.
 *
 * @see https://www.rfc-editor.org/rfc/rfc6749#section-4.4.2 (client_credentials)
 * @see https://www.rfc-editor.org/rfc/rfc6749#section-4.1.3 (authorization_code)
 * @see https://www.rfc-editor.org/rfc/rfc7636#section-4.5 (code_verifier)
 * @see https://www.rfc-editor.org/rfc/rfc6749#section-6 (refresh_token)
 * @see https://www.rfc-editor.org/rfc/rfc8628#section-3.4 (device_code)
 */
export type Grant<Scope extends string = string> =
  | { readonly type: "client_credentials"; readonly scopes?: ReadonlyArray<Scope> | undefined }
  | {
      readonly type: "authorization_code"
      readonly code: Redacted.Redacted<string>
      readonly redirectUri: string
      readonly codeVerifier?: Redacted.Redacted<string> | undefined
    }
  | {
      readonly type: "refresh_token"
      readonly refreshToken: Redacted.Redacted<string>
      readonly scopes?: ReadonlyArray<Scope> | undefined
    }
  | { readonly type: "device_code"; readonly deviceCode: Redacted.Redacted<string> }

/** The device grant's `grant_type` (RFC 8628 §3.4). */
export const deviceCodeGrantType = "urn:ietf:params:oauth:grant-type:device_code"

/**
 * One access token request. `extra` adds body parameters the grant does not know (`resource`,
 * `audience`); it may not repeat one the request already has.
 *
 * @see https://www.rfc-editor.org/rfc/rfc6749#section-3.2
 */
export interface TokenRequest<Scope extends string = string> {
  readonly provider: Provider<Scope>
  readonly client: ClientCredentials
  readonly grant: Grant<Scope>
  readonly extra?: Readonly<Record<string, string>> | undefined
}

/**
 * One token revocation request.
 *
 * @see https://www.rfc-editor.org/rfc/rfc7009#section-2.1
 */
export interface RevocationRequest {
  readonly provider: Provider<string>
  readonly client: ClientCredentials
  readonly token: Redacted.Redacted<string>
  readonly tokenTypeHint?: "access_token" | "refresh_token" | undefined
}

/**
 * What a token or revocation request can fail with.
 *
 * @see https://www.rfc-editor.org/rfc/rfc6749#section-5.2
 */
export type TokenEndpointError =
  | OAuthError
  | RateLimited
  | TransportError
  | MalformedResponse
  | TimeoutError
  | ConfigError

/**
 * Options of {@link make}: the timeout of each attempt (default 30 s) and the retry policy.
 *
 * @see https://www.rfc-editor.org/rfc/rfc6749#section-3.2
 */
export interface TokenEndpointOptions {
  readonly timeout?: Duration.DurationInput | undefined
  readonly retry?: RetryOptions | undefined
}

/**
 * The operations of the {@link TokenEndpoint} service.
 *
 * @see https://www.rfc-editor.org/rfc/rfc6749#section-3.2
 */
export interface TokenEndpointService {
  /** Requests an access token; authorization code exchanges are never retried (codes are single use). */
  readonly request: <Scope extends string>(
    input: TokenRequest<Scope>,
  ) => Effect.Effect<TokenResponse, TokenEndpointError>
  /** Revokes a token; `ConfigError` when the provider has no revocation endpoint. */
  readonly revoke: (input: RevocationRequest) => Effect.Effect<void, TokenEndpointError>
}

/**
 * The token endpoint service tag.
 *
 * @see https://www.rfc-editor.org/rfc/rfc6749#section-3.2
 */
export class TokenEndpoint extends Context.Tag("@grantflow/core/TokenEndpoint")<
  TokenEndpoint,
  TokenEndpointService
>() {}

const formContentType = "application/x-www-form-urlencoded;charset=UTF-8"

// RFC 6749 §3.3 scope-token: printable ASCII except space, `"` and `\`.
const scopeToken = /^[\x21\x23-\x5B\x5D-\x7E]+$/

type Params = ReadonlyArray<readonly [string, string]>

/**
 * The request parameters whose values are secrets: never echoed into an error message.
 * `client_assertion` can only arrive through `extra`; other `extra` values (`resource`,
 * `audience`) are not secret, and redacting short common words would garble the server's text.
 */
const secretParams: ReadonlySet<string> = new Set([
  "client_secret",
  "client_assertion",
  "code",
  "code_verifier",
  "device_code",
  "refresh_token",
  "token",
])

const grantParams = (grant: Grant): Either.Either<Params, ConfigError> => {
  const scopes =
    grant.type === "authorization_code" || grant.type === "device_code" ? [] : (grant.scopes ?? [])
  const invalid = scopes.find((scope) => !scopeToken.test(scope))
  if (invalid !== undefined) {
    return Either.left(
      new ConfigError({ reason: `${JSON.stringify(invalid)} is not a valid scope (RFC 6749 §3.3).` }),
    )
  }
  const scope: Params = scopes.length === 0 ? [] : [["scope", scopes.join(" ")]]
  switch (grant.type) {
    case "client_credentials":
      return Either.right([["grant_type", grant.type], ...scope])
    case "authorization_code":
      return Either.right([
        ["grant_type", grant.type],
        ["code", Redacted.value(grant.code)],
        ["redirect_uri", grant.redirectUri],
        ...(grant.codeVerifier === undefined
          ? []
          : [["code_verifier", Redacted.value(grant.codeVerifier)] as const]),
      ])
    case "refresh_token":
      return Either.right([
        ["grant_type", grant.type],
        ["refresh_token", Redacted.value(grant.refreshToken)],
        ...scope,
      ])
    case "device_code":
      return Either.right([
        ["grant_type", deviceCodeGrantType],
        ["device_code", Redacted.value(grant.deviceCode)],
      ])
  }
}

// RFC 6749 §3.2: parameters must not be repeated, so `extra` may only add.
const appendExtra = (
  params: Params,
  extra: Readonly<Record<string, string>> = {},
): Either.Either<Params, ConfigError> => {
  const taken = new Set(params.map(([name]) => name))
  const repeated = Object.keys(extra).find((name) => taken.has(name))
  return repeated === undefined
    ? Either.right([...params, ...Object.entries(extra)])
    : Either.left(new ConfigError({ reason: `extra repeats the request parameter \`${repeated}\`.` }))
}

/**
 * Builds the token endpoint service over the ambient HttpClient.
 *
 * @see https://www.rfc-editor.org/rfc/rfc6749#section-3.2
 */
export const make = (
  options?: TokenEndpointOptions,
): Effect.Effect<TokenEndpointService, never, HttpClient.HttpClient> =>
  Effect.map(HttpClient.HttpClient, (client): TokenEndpointService => {
    const timeout = Duration.decode(options?.timeout ?? Duration.seconds(30))
    const schedule = retrySchedule<TokenEndpointError>(options?.retry)

    const send = <A, E>(
      url: string,
      provider: Provider<string>,
      clientCredentials: ClientCredentials,
      params: Either.Either<Params, ConfigError>,
      secretNames: ReadonlySet<string>,
      process: (
        response: HttpClientResponse.HttpClientResponse,
        options: ProcessOptions,
      ) => Effect.Effect<A, E>,
    ): Effect.Effect<A, E | ConfigError | TransportError | TimeoutError | MalformedResponse> =>
      Effect.gen(function* () {
        const auth = yield* authenticateClient(
          provider.tokenEndpointAuthMethod,
          clientCredentials,
          provider.tokenEndpointAuthMethodsSupported,
        )
        const all = [...(yield* params), ...auth.params]
        const body = encodeForm(all)
        const request = HttpClientRequest.post(url).pipe(
          HttpClientRequest.setHeaders({ ...auth.headers, accept: "application/json" }),
          HttpClientRequest.bodyText(body, formContentType),
        )
        // Everything secret the request carries, so that server text echoing it is redacted.
        const secrets = [
          ...all.filter(([name]) => secretNames.has(name)).map(([, value]) => value),
          ...(clientCredentials.clientSecret === undefined
            ? []
            : [Redacted.value(clientCredentials.clientSecret)]),
          ...Object.values(auth.headers).map((value) => value.replace(/^Basic /, "")),
        ]
        const described = describeUrl(url)
        return yield* executeWithoutRedirects(client, request).pipe(
          // A client built with filterStatusOk reports statuses as errors; they are answers all the same.
          // Of any other failure only the cause is kept: the HttpClientError holds the request, whose
          // body and headers carry secrets.
          Effect.catchAll((error) =>
            error._tag === "ResponseError" && error.reason === "StatusCode"
              ? Effect.succeed(error.response)
              : Effect.fail(
                  new TransportError({
                    reason: "Network",
                    url: described,
                    cause: error.cause ?? error.reason,
                  }),
                ),
          ),
          Effect.flatMap(
            (response): Effect.Effect<A, E | MalformedResponse> =>
              wasRedirected(request, response)
                ? Effect.zipRight(
                    discardBody(response),
                    Effect.fail(
                      new MalformedResponse({
                        reason: "Redirected",
                        source: "token endpoint",
                        status: response.status,
                      }),
                    ),
                  )
                : process(response, { secrets }),
          ),
          // The timeout covers the body too: a server that sends headers and then trickles (or
          // never ends) the body is cut off like one that never answers.
          Effect.timeoutFail({
            duration: timeout,
            onTimeout: () => new TimeoutError({ url: described, timeoutMs: Duration.toMillis(timeout) }),
          }),
        )
      })

    return {
      request: (input) => {
        const attempt = send(
          input.provider.tokenEndpoint,
          input.provider,
          input.client,
          Either.flatMap(grantParams(input.grant), (params) => appendExtra(params, input.extra)),
          secretParams,
          processTokenResponse,
        )
        // A code is single use: a retried exchange after a lost answer fails with invalid_grant at
        // best and, per RFC 6749 §4.1.2, may make the server revoke the tokens the first one issued.
        //
        // A refresh is retried, even when the answer was lost after the server may have acted on
        // it (a 200 whose body broke off): the lost answer held the only copy of a rotated refresh
        // token, so the old one is all the client has, now or on the next call. A server with a
        // grace window for the previous token accepts the retry and the grant survives; a server
        // with strict reuse detection answers invalid_grant (ReauthenticationRequired) at once,
        // instead of a TransportError now and the same invalid_grant on the next call. Either
        // way the retry cannot lose anything the client still had. Timeouts stay unretried (see
        // isRetryable): the first request may still be in flight, and racing it invites a
        // strict server to revoke both.
        return input.grant.type === "authorization_code" ? attempt : Effect.retry(attempt, schedule)
      },
      revoke: (input) => {
        const endpoint = input.provider.revocationEndpoint
        if (endpoint === undefined) {
          return Effect.fail(
            new ConfigError({
              reason: `The provider ${input.provider.name} has no revocationEndpoint, so tokens cannot be revoked there; forget them locally.`,
            }),
          )
        }
        const params: Params = [
          ["token", Redacted.value(input.token)],
          ...(input.tokenTypeHint === undefined ? [] : [["token_type_hint", input.tokenTypeHint] as const]),
        ]
        // Revocation is idempotent (RFC 7009 §2.2), so every retryable failure may be retried.
        return Effect.retry(
          send(
            endpoint,
            input.provider,
            input.client,
            Either.right(params),
            secretParams,
            processRevocationResponse,
          ),
          schedule,
        )
      },
    }
  })

/**
 * The token endpoint service as a layer over the ambient HttpClient.
 *
 * @see https://www.rfc-editor.org/rfc/rfc6749#section-3.2
 */
export const layer = (
  options?: TokenEndpointOptions,
): Layer.Layer<TokenEndpoint, never, HttpClient.HttpClient> => Layer.effect(TokenEndpoint, make(options))

/**
 * The token endpoint service over the core's own HTTP layer: keep-alive undici in Node, `fetch`
 * elsewhere, redirects never followed. What the Promise API uses, for Effect users to provide.
 *
 * @see https://www.rfc-editor.org/rfc/rfc6749#section-3.2
 */
export const layerDefault = (options?: TokenEndpointOptions): Layer.Layer<TokenEndpoint> =>
  layer(options).pipe(Layer.provide(platformHttp))
