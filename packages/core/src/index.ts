/**
 * grantflow's core: OAuth 2.0 client flows as statecharts whose side effects are Effect services.
 *
 * The Promise API is exported by name (`clientCredentials`, `authorizationCode`, ...); the Effect
 * API by module (`ClientCredentials.make`, `AuthorizationRequest.begin`, `Discovery.discover`,
 * ...), also importable as `@grantflow/core/<Module>`.
 *
 * @module
 */
export * as AuthorizationCode from "./AuthorizationCode.js"
export { authorizationCode, type CompleteOptions } from "./AuthorizationCode.js"
export type { PendingLogin, PkcePendingLogin, SecretPendingLogin } from "./AuthorizationRequest.js"
export * as AuthorizationRequest from "./AuthorizationRequest.js"
export * as AuthorizationResponse from "./AuthorizationResponse.js"
export * as ClientCredentials from "./ClientCredentials.js"
export { type ClientCredentialsOptions, clientCredentials } from "./ClientCredentials.js"
export * as CredentialStore from "./CredentialStore.js"
export { Credentials, decodeCredentials } from "./Credentials.js"
export * as DeviceAuthorization from "./DeviceAuthorization.js"
export {
  type DeviceAuthorizationOptions,
  type DevicePrompt,
  deviceAuthorization,
} from "./DeviceAuthorization.js"
export * as Discovery from "./Discovery.js"
export { discoverProvider } from "./Discovery.js"
export * as Entropy from "./Entropy.js"
export * from "./Errors.js"
export type { CredentialsListener } from "./internal/flowEffects.js"
export type { ProviderFlowOptions } from "./internal/flowOptions.js"
export type { PlatformOptions } from "./internal/startFlow.js"
export {
  type AuthorizationCodeContext,
  type DeviceCode,
  type FlowContext,
  type FlowMachine,
  type Held,
  machines,
  type Obtained,
  type Outcome,
  type RenewalContext,
} from "./machines/index.js"
export * as Pkce from "./Pkce.js"
export {
  type AnyCredentialStore,
  fromPromiseStore,
  type PromiseCredentialStore,
} from "./PromiseCredentialStore.js"
export {
  type AuthorizationParams,
  defineProvider,
  type Provider,
  type ProviderOptions,
  type TokenEndpointAuthMethod,
} from "./Provider.js"
export {
  providers,
  type SpotifyAuthorizationParams,
  type SpotifyScope,
  spotifyScopes,
} from "./providers/index.js"
export * as Retry from "./Retry.js"
export * as SavedCredentials from "./SavedCredentials.js"
export { type SavedCredentialsOptions, savedCredentials } from "./SavedCredentials.js"
export * as StaticToken from "./StaticToken.js"
export { type StaticTokenOptions, type StaticTokenSource, staticToken } from "./StaticToken.js"
export * as TokenEndpoint from "./TokenEndpoint.js"
export * as TokenResponse from "./TokenResponse.js"
export type { TokenSource, TokenSourceEffect, TokenSourceSnapshot } from "./TokenSource.js"
export { unsavedCredentials } from "./TokenSource.js"
