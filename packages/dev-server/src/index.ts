/**
 * A local OAuth 2.0 authorization server for grantflow's demos and integration tests, built on
 * oidc-provider. Local development only: never expose it or use it in production.
 */
export {
  type DevClient,
  type DevClientMetadata,
  type DeviceFlowOptions,
  type DevServer,
  type DevServerClients,
  type DevServerCounters,
  type DevServerOptions,
  deviceCodeGrantType,
  startDevServer,
  type TokenRequestCounts,
} from "./DevServer.js"
export {
  type ApproveDeviceCodeOptions,
  approveDeviceCode,
  type CompleteLoginOptions,
  completeLogin,
} from "./Login.js"
