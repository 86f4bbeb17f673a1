/**
 * The device authorization grant: a login for terminals, TVs and machines reached over SSH. The
 * device shows a short code; the user approves it in a browser anywhere; the device polls the
 * token endpoint until the server answers.
 *
 * @module
 */
import * as HttpClient from "@effect/platform/HttpClient"
import * as HttpClientRequest from "@effect/platform/HttpClientRequest"
import * as Clock from "effect/Clock"
import * as Context from "effect/Context"
import * as Duration from "effect/Duration"
import * as Effect from "effect/Effect"
import * as Either from "effect/Either"
import * as Redacted from "effect/Redacted"
import * as Schema from "effect/Schema"
import type * as Scope from "effect/Scope"
import type { CredentialStore } from "./CredentialStore.js"
import {
  AuthorizationDenied,
  ConfigError,
  DeviceCodeExpired,
  type GrantflowError,
  MalformedResponse,
  type OAuthError,
  TimeoutError,
  TransportError,
} from "./Errors.js"
import { authenticateClient, encodeForm } from "./internal/clientAuthentication.js"
import {
  effectiveProvider,
  type FlowConfig,
  forgetPrivateRecord,
  runToEnd,
  saveNewGrant,
} from "./internal/flowEffects.js"
import { flowConfig, type ProviderFlowOptions, randomId } from "./internal/flowOptions.js"
import { executeWithoutRedirects, wasRedirected } from "./internal/noRedirects.js"
import { describeUrl, readJsonBody } from "./internal/responseBody.js"
import { sharedHttpRuntime } from "./internal/sharedServices.js"
import {
  afterFirstStep,
  type Planner,
  type PlatformOptions,
  runDetached,
  sourceRuntime,
  startFlow,
} from "./internal/startFlow.js"
import type { DeviceCode } from "./machines/deviceAuthorization.js"
import { deviceAuthorizationMachine } from "./machines/deviceAuthorization.js"
import { isLoopbackHost } from "./Provider.js"
import { TokenEndpoint } from "./TokenEndpoint.js"
import { processErrorStatus } from "./TokenResponse.js"
import {
  type ActorTokenSource,
  type TokenSource,
  type TokenSourceEffect,
  toEffectSource,
} from "./TokenSource.js"

/**
 * What to show the user: the code, and where to enter it. `verificationUriComplete` carries the
 * code already (for a QR code or a link), when the server offers one.
 *
 * @see https://www.rfc-editor.org/rfc/rfc8628#section-3.3
 */
export interface DevicePrompt {
  readonly userCode: string
  readonly verificationUri: string
  readonly verificationUriComplete?: string | undefined
  /** Epoch milliseconds after which the code is dead. */
  readonly expiresAt: number
}

/** What {@link make} and {@link deviceAuthorization} take. */
export interface DeviceAuthorizationOptions<Scope extends string> extends ProviderFlowOptions<Scope> {
  /** Shows the user code; awaited before polling starts. */
  readonly onPrompt: (prompt: DevicePrompt) => void | Promise<void>
}

/**
 * The device authorization response (RFC 8628 §3.2). `verification_url` is Google's older name
 * for `verification_uri`, accepted as a fallback.
 *
 * @see https://www.rfc-editor.org/rfc/rfc8628#section-3.2
 */
export const DeviceAuthorizationResponseWire = Schema.Struct({
  device_code: Schema.NonEmptyString,
  // Printable ASCII only: the code is printed to terminals, where control characters are commands.
  user_code: Schema.String.pipe(Schema.pattern(/^[\x20-\x7E]{1,64}$/)),
  verification_uri: Schema.optional(Schema.String),
  verification_url: Schema.optional(Schema.String),
  verification_uri_complete: Schema.optional(Schema.String),
  expires_in: Schema.Number.pipe(Schema.positive(), Schema.finite()),
  interval: Schema.optional(Schema.Number.pipe(Schema.nonNegative(), Schema.finite())),
})

const decodeWire = Schema.decodeUnknownEither(DeviceAuthorizationResponseWire)

// The user opens it in a browser: only http(s), and plain http only on loopback (a dev server).
const browsable = (value: string | undefined): string | undefined => {
  const url = value === undefined ? undefined : URL.parse(value)
  if (url === null || url === undefined) return undefined
  const ok = url.protocol === "https:" || (url.protocol === "http:" && isLoopbackHost(url.hostname))
  return ok && url.username === "" && url.password === "" ? url.href : undefined
}

/** RFC 8628 §3.2: without an `interval` the client waits 5 s between polls. */
const defaultIntervalMs = 5000
// A server asking for no wait at all would be polled in a tight loop.
const minimumIntervalMs = 1000
const requestTimeout = Duration.seconds(30)

const noEndpoint = (provider: { readonly name: string }) =>
  new ConfigError({
    reason: `The provider ${provider.name} has no deviceAuthorizationEndpoint (RFC 8628); use a loopback login instead.`,
  })

/**
 * The device authorization request: asks for a device code and user code for `config`'s scopes.
 *
 * @see https://www.rfc-editor.org/rfc/rfc8628#section-3.1
 */
export const requestDeviceCode = (
  config: FlowConfig,
): Effect.Effect<
  DeviceCode,
  ConfigError | MalformedResponse | TransportError | TimeoutError | GrantflowError,
  HttpClient.HttpClient
> =>
  Effect.gen(function* () {
    const endpoint = config.provider.deviceAuthorizationEndpoint
    if (endpoint === undefined) return yield* noEndpoint(config.provider)
    const provider = effectiveProvider(config.provider, config.client)
    const auth = yield* authenticateClient(
      provider.tokenEndpointAuthMethod,
      config.client,
      provider.tokenEndpointAuthMethodsSupported,
    )
    const params: ReadonlyArray<readonly [string, string]> = [
      ...(config.scopes.length === 0 ? [] : [["scope", config.scopes.join(" ")] as const]),
      ...auth.params,
    ]
    const request = HttpClientRequest.post(endpoint).pipe(
      HttpClientRequest.setHeaders({ ...auth.headers, accept: "application/json" }),
      HttpClientRequest.bodyText(encodeForm(params), "application/x-www-form-urlencoded;charset=UTF-8"),
    )
    const client = yield* HttpClient.HttpClient
    const url = describeUrl(endpoint)
    const source = "device authorization endpoint"
    const secrets =
      config.client.clientSecret === undefined ? [] : [Redacted.value(config.client.clientSecret)]
    const response = yield* executeWithoutRedirects(client, request).pipe(
      Effect.catchAll((error) =>
        error._tag === "ResponseError" && error.reason === "StatusCode"
          ? Effect.succeed(error.response)
          : Effect.fail(new TransportError({ reason: "Network", url, cause: error.cause ?? error.reason })),
      ),
    )
    // A followed redirect would have sent the client's credentials elsewhere: refused, as at the token endpoint.
    if (wasRedirected(request, response)) {
      return yield* new MalformedResponse({ reason: "Redirected", source, status: response.status })
    }
    if (response.status !== 200) return yield* processErrorStatus(response, "device authorization", secrets)
    const body = yield* readJsonBody(response, source, url)
    const now = yield* Clock.currentTimeMillis
    const wire = decodeWire(body)
    const malformed = new MalformedResponse({
      reason: "InvalidDeviceAuthorizationResponse",
      source,
      status: response.status,
    })
    if (Either.isLeft(wire)) return yield* malformed
    const verificationUri = browsable(wire.right.verification_uri ?? wire.right.verification_url)
    if (verificationUri === undefined) return yield* malformed
    const complete = browsable(wire.right.verification_uri_complete)
    return {
      deviceCode: Redacted.make(wire.right.device_code),
      userCode: wire.right.user_code,
      verificationUri,
      ...(complete === undefined ? {} : { verificationUriComplete: complete }),
      expiresAt: now + wire.right.expires_in * 1000,
      intervalMs: Math.max(minimumIntervalMs, (wire.right.interval ?? defaultIntervalMs / 1000) * 1000),
    }
  }).pipe(
    Effect.timeoutFail({
      duration: requestTimeout,
      onTimeout: () =>
        new TimeoutError({
          url: describeUrl(config.provider.deviceAuthorizationEndpoint ?? ""),
          timeoutMs: Duration.toMillis(requestTimeout),
        }),
    }),
  )

/**
 * One poll of the token endpoint with the device code (RFC 8628 §3.4). `access_denied` becomes
 * `AuthorizationDenied`, `expired_token` (or a code past its `expires_in`) `DeviceCodeExpired`;
 * `authorization_pending` and `slow_down` stay `OAuthError`s for the machine to wait on. Once
 * sent, a poll runs to its end: tokens the server issued are saved even if the login was stopped.
 *
 * @see https://www.rfc-editor.org/rfc/rfc8628#section-3.5
 */
export const pollDeviceCode = (config: FlowConfig) => (input: { readonly device: DeviceCode }) =>
  Effect.gen(function* () {
    if ((yield* Clock.currentTimeMillis) >= input.device.expiresAt) {
      return yield* new DeviceCodeExpired({ reason: "ExpiresInPassed" })
    }
    const endpoint = yield* TokenEndpoint
    const response = yield* endpoint
      .request({
        provider: effectiveProvider(config.provider, config.client),
        client: config.client,
        grant: { type: "device_code", deviceCode: input.device.deviceCode },
      })
      .pipe(
        Effect.catchTag(
          "OAuthError",
          (error): Effect.Effect<never, OAuthError | AuthorizationDenied | DeviceCodeExpired> =>
            error.error === "access_denied"
              ? Effect.fail(new AuthorizationDenied({ errorDescription: error.errorDescription }))
              : error.error === "expired_token"
                ? Effect.fail(new DeviceCodeExpired({ reason: "ServerSaidExpired" }))
                : Effect.fail(error),
        ),
      )
    return yield* saveNewGrant(config, response)
  }).pipe(runToEnd)

const plan =
  <Scope extends string>(
    options: DeviceAuthorizationOptions<Scope> & Pick<PlatformOptions, "fetch">,
    http: HttpClient.HttpClient,
  ): Planner<TokenEndpoint | CredentialStore, ConfigError> =>
  () => {
    const planned = flowConfig(options, "refresh_token", randomId())
    if (Either.isLeft(planned)) return Either.left(planned.left)
    const config = planned.right
    if (config.provider.deviceAuthorizationEndpoint === undefined)
      return Either.left(noEndpoint(config.provider))
    return Either.right({
      machine: deviceAuthorizationMachine,
      input: {},
      config,
      device: {
        request: () =>
          requestDeviceCode(config).pipe(
            Effect.tap((device) =>
              Effect.promise(async () =>
                options.onPrompt({
                  userCode: device.userCode,
                  verificationUri: device.verificationUri,
                  verificationUriComplete: device.verificationUriComplete,
                  expiresAt: device.expiresAt,
                }),
              ),
            ),
            Effect.provideService(HttpClient.HttpClient, http),
          ),
        poll: pollDeviceCode(config),
      },
      replayOn401: true,
      fetch: options.fetch,
      afterStop: forgetPrivateRecord(config),
    })
  }

// The login is over when the first credentials are saved, or when the machine ends without them.
const firstCredentials = (source: ActorTokenSource) =>
  Effect.tryPromise({
    try: () => source.getCredentials(),
    catch: (error) => error as GrantflowError,
  })

/**
 * Runs a device login in the current scope: requests a device code, hands the user code to
 * `onPrompt`, polls until the user approves, and returns the source once the credentials are saved.
 * Fails with `AuthorizationDenied` when the user refuses, `DeviceCodeExpired` when the code runs out.
 *
 * @see https://www.rfc-editor.org/rfc/rfc8628#section-3
 */
export const make = <Scope extends string>(
  options: DeviceAuthorizationOptions<Scope> & Pick<PlatformOptions, "fetch">,
): Effect.Effect<
  TokenSourceEffect,
  GrantflowError,
  TokenEndpoint | CredentialStore | HttpClient.HttpClient | Scope.Scope
> =>
  Effect.gen(function* () {
    const source = yield* startFlow(plan(options, yield* HttpClient.HttpClient))
    yield* firstCredentials(source)
    return toEffectSource(source)
  })

/**
 * A device login for the Promise API.
 *
 * @example
 * ```ts
 * const source = await deviceAuthorization({
 *   provider, clientId, scopes: ["user-read-email"],
 *   onPrompt: ({ userCode, verificationUri }) => console.log(`Open ${verificationUri} and enter ${userCode}`),
 * })
 * ```
 * @see https://www.rfc-editor.org/rfc/rfc8628#section-3
 */
export const deviceAuthorization = <Scope extends string>(
  options: DeviceAuthorizationOptions<Scope> & PlatformOptions,
): Promise<TokenSource> => {
  try {
    const http = Context.get(sharedHttpRuntime().context, HttpClient.HttpClient)
    const source = runDetached(sourceRuntime(options), plan(options, http))
    return afterFirstStep(source, source.getCredentials())
  } catch (error) {
    return Promise.reject(error)
  }
}
