/**
 * Authorization servers as data: endpoints, the client authentication the token endpoint
 * expects, and whether authorization responses carry `iss`.
 *
 * @module
 */
import { ConfigError } from "./Errors.js"

/**
 * How the client authenticates at the token endpoint.
 *
 * @see https://www.rfc-editor.org/rfc/rfc6749#section-2.3.1
 * @see https://www.rfc-editor.org/rfc/rfc7591#section-2
 */
export type TokenEndpointAuthMethod = "client_secret_basic" | "client_secret_post" | "none"

/**
 * Extra authorization request parameters a provider understands (sent as strings). A provider's
 * own parameter type is an object type alias, such as `{ readonly prompt?: "login" | "none" }`.
 *
 * @see https://www.rfc-editor.org/rfc/rfc6749#section-3.1
 */
export type AuthorizationParams = { readonly [name: string]: string | number | boolean }

/**
 * An authorization server. `Scope` narrows the scopes a flow may request (the Spotify preset
 * uses its scope catalog); `Params` types the extra authorization request parameters.
 *
 * @see https://www.rfc-editor.org/rfc/rfc8414#section-2
 */
export interface Provider<
  Scope extends string = string,
  Params extends AuthorizationParams = AuthorizationParams,
> {
  readonly name: string
  readonly authorizationEndpoint: string
  readonly tokenEndpoint: string
  readonly revocationEndpoint?: string | undefined
  /** Where a device asks for a user code (RFC 8628 §3.1), for the device authorization grant. */
  readonly deviceAuthorizationEndpoint?: string | undefined
  /** The issuer identifier: required to check RFC 9207 `iss` and discovery metadata. */
  readonly issuer?: string | undefined
  readonly tokenEndpointAuthMethod: TokenEndpointAuthMethod
  /** The methods the server's metadata offers, when known (discovery): named in configuration errors. */
  readonly tokenEndpointAuthMethodsSupported?: ReadonlyArray<string> | undefined
  /** The server always sends `iss` in authorization responses, so a callback without it is refused. */
  readonly authorizationResponseIssParameterSupported: boolean
  /** The scopes `defineProvider` was given, if any. */
  readonly scopes?: ReadonlyArray<Scope> | undefined
  /** Type-level only: the scopes this provider knows. */
  readonly _scope?: Scope | undefined
  /** Type-level only: the extra authorization request parameters this provider knows. */
  readonly _params?: Params | undefined
}

/** What {@link defineProvider} takes; every field but the two endpoints has a default. */
export interface ProviderOptions<Scope extends string = string> {
  readonly name?: string | undefined
  readonly authorizationEndpoint: string
  readonly tokenEndpoint: string
  readonly revocationEndpoint?: string | undefined
  /** RFC 8628 §4 `device_authorization_endpoint`: needed only by the device authorization grant. */
  readonly deviceAuthorizationEndpoint?: string | undefined
  readonly issuer?: string | undefined
  /** Defaults to `client_secret_basic`, the method every server must support (RFC 6749 §2.3.1). */
  readonly tokenEndpointAuthMethod?: TokenEndpointAuthMethod | undefined
  /** The methods the server offers (RFC 8414 `token_endpoint_auth_methods_supported`), if known. */
  readonly tokenEndpointAuthMethodsSupported?: ReadonlyArray<string> | undefined
  /** Defaults to `false`. Set it when the server implements RFC 9207. */
  readonly authorizationResponseIssParameterSupported?: boolean | undefined
  /** The scopes the server knows: flows then refuse any other scope at compile time. */
  readonly scopes?: ReadonlyArray<Scope> | undefined
}

/**
 * Declares an authorization server. Throws {@link ConfigError} when an endpoint is not an
 * absolute https URL (http is allowed on loopback hosts for local development) or carries a
 * fragment. The scopes are inferred from `scopes` (or given as the first type argument); without
 * either, any scope is accepted. The extra authorization parameters are the second type argument.
 *
 * @see https://www.rfc-editor.org/rfc/rfc6749#section-3.1
 * @see https://www.rfc-editor.org/rfc/rfc6749#section-3.2
 */
export const defineProvider = <
  const Scope extends string = string,
  Params extends AuthorizationParams = AuthorizationParams,
>(
  options: ProviderOptions<Scope>,
): Provider<Scope, Params> => {
  const authorizationEndpoint = checkEndpoint("authorizationEndpoint", options.authorizationEndpoint)
  const tokenEndpoint = checkEndpoint("tokenEndpoint", options.tokenEndpoint)
  const revocationEndpoint =
    options.revocationEndpoint === undefined
      ? undefined
      : checkEndpoint("revocationEndpoint", options.revocationEndpoint)
  const deviceAuthorizationEndpoint =
    options.deviceAuthorizationEndpoint === undefined
      ? undefined
      : checkEndpoint("deviceAuthorizationEndpoint", options.deviceAuthorizationEndpoint)
  if (options.issuer !== undefined) checkEndpoint("issuer", options.issuer)
  const supportsIss = options.authorizationResponseIssParameterSupported ?? false
  if (supportsIss && options.issuer === undefined) {
    throw new ConfigError({
      reason: "authorizationResponseIssParameterSupported needs the provider's issuer to compare `iss` with.",
    })
  }
  return {
    name: options.name ?? new URL(tokenEndpoint).host,
    authorizationEndpoint,
    tokenEndpoint,
    revocationEndpoint,
    ...(deviceAuthorizationEndpoint === undefined ? {} : { deviceAuthorizationEndpoint }),
    issuer: options.issuer,
    tokenEndpointAuthMethod: options.tokenEndpointAuthMethod ?? "client_secret_basic",
    ...(options.tokenEndpointAuthMethodsSupported === undefined
      ? {}
      : { tokenEndpointAuthMethodsSupported: options.tokenEndpointAuthMethodsSupported }),
    authorizationResponseIssParameterSupported: supportsIss,
    ...(options.scopes === undefined ? {} : { scopes: options.scopes }),
  }
}

const loopbackHosts = new Set(["localhost", "127.0.0.1", "[::1]"])

/** True for hosts where plain http is acceptable: the machine itself (RFC 8252 §8.3). */
export const isLoopbackHost = (hostname: string): boolean =>
  loopbackHosts.has(hostname) || hostname.endsWith(".localhost") || /^127(\.\d{1,3}){3}$/.test(hostname)

const checkEndpoint = (field: string, value: string): string => {
  let url: URL
  try {
    url = new URL(value)
  } catch {
    throw new ConfigError({ reason: `${field} must be an absolute URL.` })
  }
  if (url.hash !== "" || value.includes("#")) {
    throw new ConfigError({ reason: `${field} must not contain a fragment (RFC 6749 §3.1).` })
  }
  if (url.protocol !== "https:" && !(url.protocol === "http:" && isLoopbackHost(url.hostname))) {
    throw new ConfigError({
      reason: `${field} must use https (plain http is allowed only on loopback hosts for local development).`,
    })
  }
  if (url.username !== "" || url.password !== "") {
    throw new ConfigError({ reason: `${field} must not carry credentials in the URL.` })
  }
  return value
}
