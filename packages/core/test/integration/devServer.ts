/**
 * The real authorization server for integration tests: `@grantflow/dev-server` (oidc-provider)
 * on a free loopback port, started and stopped by each suite.
 */
import {
  completeLogin,
  type DevClient,
  type DevServer,
  type DevServerOptions,
  startDevServer,
} from "@grantflow/dev-server"
import { afterAll, beforeAll } from "vitest"
import { authorizationCode, discoverProvider, type Provider, type TokenSource } from "../../src/index.js"

export interface Running {
  readonly server: DevServer
  readonly provider: Provider
}

/** Starts a dev-server for the enclosing suite and discovers it as a provider. */
export const useDevServer = (options: DevServerOptions = {}) => {
  const running: { current?: Running } = {}
  beforeAll(async () => {
    const server = await startDevServer(options)
    running.current = { server, provider: await discoverProvider(server.issuer) }
  })
  afterAll(async () => {
    await running.current?.server.stop()
  })
  return () => {
    if (running.current === undefined) throw new Error("the dev-server has not started")
    return running.current
  }
}

/** A whole login: begin, the dev-server's own login and consent pages driven headlessly, complete. */
export const logIn = async (
  { provider }: Running,
  client: DevClient,
  options: {
    readonly scopes?: ReadonlyArray<string>
    readonly username?: string
    readonly redirectUri?: string
  } = {},
): Promise<TokenSource> => {
  const redirectUri = options.redirectUri ?? client.redirectUris[0]!
  const { url, pending } = await authorizationCode.begin({
    provider,
    clientId: client.clientId,
    redirectUri,
    scopes: options.scopes ?? ["user-read-email", "user-read-private"],
  })
  const callbackUrl = await completeLogin(url, { username: options.username ?? "alice", redirectUri })
  return authorizationCode.complete({
    provider,
    clientId: client.clientId,
    clientSecret: client.clientSecret,
    pending,
    callbackUrl,
  })
}

export const sleep = (ms: number) => new Promise((resolve) => setTimeout(resolve, ms))
