/**
 * grantflow's core: OAuth 2.0 client flows as statecharts whose side effects are Effect services.
 *
 * The Promise API is exported by name; the Effect API by module (`AuthorizationRequest.begin`,
 * `Discovery.discover`, ...), also importable as `@grantflow/core/<Module>`.
 *
 * @module
 */
export * as AuthorizationRequest from "./AuthorizationRequest.js"
export * as AuthorizationResponse from "./AuthorizationResponse.js"
export { Credentials, decodeCredentials } from "./Credentials.js"
export * as Discovery from "./Discovery.js"
export { discoverProvider } from "./Discovery.js"
export * as Entropy from "./Entropy.js"
export * from "./Errors.js"
export * as Pkce from "./Pkce.js"
export {
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
