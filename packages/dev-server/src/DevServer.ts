import { generateKeyPair, randomBytes } from "node:crypto"
import { createServer, type IncomingMessage, type ServerResponse } from "node:http"
import type { AddressInfo } from "node:net"
import { promisify } from "node:util"
import type { ClientMetadata, Configuration, KoaContextWithOIDC, default as Provider } from "oidc-provider"
import {
  builtInClients,
  defaultSpaOrigins,
  scopes as resourceScopes,
  serviceClientSecret,
  webClientSecret,
} from "./internal/clients.js"
import { loadProvider } from "./internal/loadProvider.js"
import { createMemoryAdapter } from "./internal/memoryAdapter.js"
import {
  consentPage,
  deviceConfirmPage,
  deviceInputPage,
  deviceSuccessPage,
  errorPage,
  loginPage,
} from "./internal/pages.js"

/** Client metadata in RFC 7591 names (`client_id`, `redirect_uris`, ...), as oidc-provider takes it. */
export interface DevClientMetadata {
  readonly client_id: string
  readonly [property: string]: unknown
}

export interface DevServerOptions {
  /** Port to listen on; 0 (the default) picks a free one. */
  readonly port?: number
  /** Interface to listen on, and the host of the issuer. Default `127.0.0.1`. */
  readonly host?: string
  /** Access token lifetime in seconds (user and client-credentials tokens). Default 3600, as Spotify. */
  readonly accessTokenTtl?: number
  /** Refresh token lifetime in seconds. Default 14 days. */
  readonly refreshTokenTtl?: number
  /** More clients, registered beside the four built-in ones. */
  readonly clients?: readonly DevClientMetadata[]
  /**
   * Origins of the browser demo: the SPA client's redirect URIs are `${origin}/callback`, and
   * these origins may call the token, revocation and `/v1` endpoints cross-origin.
   * Default `http://127.0.0.1:5173` and `http://localhost:5173`.
   */
  readonly spaOrigins?: readonly string[]
  /** The device authorization grant (RFC 8628): polling interval and injected `slow_down`s. */
  readonly deviceFlow?: DeviceFlowOptions
}

/** How the dev server paces device-code polling (RFC 8628 §3.5). */
export interface DeviceFlowOptions {
  /** The `interval` the device authorization response announces, in seconds. Default 5. */
  readonly interval?: number
  /**
   * Answer `slow_down` to this many first polls of each device code even when they are on time,
   * to test a client's back-off against the real server. Default 0. Polls sooner than the
   * interval always get `slow_down`, and each one adds 5 s to that code's interval.
   */
  readonly slowDownFirstPolls?: number
  /** How long a device code lives, in seconds. Default 600. */
  readonly codeTtl?: number
}

/** The device grant's `grant_type` (RFC 8628 §3.4). */
export const deviceCodeGrantType = "urn:ietf:params:oauth:grant-type:device_code"

export interface DevClient {
  readonly clientId: string
  /** Present for confidential clients. A fixed demo value: local development only. */
  readonly clientSecret?: string
  readonly tokenEndpointAuthMethod: "client_secret_basic" | "none"
  readonly grantTypes: readonly string[]
  readonly redirectUris: readonly string[]
}

export interface DevServerClients {
  /** Confidential web app: authorization code (+ refresh) and client credentials. */
  readonly web: DevClient & { readonly clientSecret: string }
  /** Public browser app: authorization code with PKCE, rotated refresh tokens. */
  readonly spa: DevClient
  /** Public native app: loopback redirect on any port (RFC 8252 §7.3), PKCE, and the device grant. */
  readonly cli: DevClient
  /** Confidential backend: client credentials only. */
  readonly service: DevClient & { readonly clientSecret: string }
}

export interface TokenRequestCounts {
  authorization_code: number
  refresh_token: number
  client_credentials: number
  /** Any other `grant_type` a client sent, supported or not. */
  [grantType: string]: number
}

/** Live counts of what clients did; tests read them and `reset()` between cases. */
export interface DevServerCounters {
  /** Token endpoint requests by `grant_type`, successful or not. */
  readonly tokenRequests: TokenRequestCounts
  /** A rotated (already used) refresh token was presented: its whole grant was revoked. */
  readonly refreshReuseDetected: number
  /** An authorization code was presented twice: its whole grant was revoked. */
  readonly codeReuseDetected: number
  /** Revocation endpoint requests answered 200 (RFC 7009 answers 200 for unknown tokens too). */
  readonly revocations: number
  /** Requests to the `/v1` resource, and how many of them were answered 401. */
  readonly resourceRequests: number
  readonly resourceUnauthorized: number
  /** Device-code polls answered `slow_down`. */
  readonly slowDowns: number
  reset(): void
}

export interface DevServer {
  /** `http://127.0.0.1:<port>`, no trailing slash. */
  readonly issuer: string
  /** Where users type a device's user code (RFC 8628 `verification_uri`). */
  readonly deviceVerificationUri: string
  readonly port: number
  /** RFC 8414 metadata: `${issuer}/.well-known/oauth-authorization-server`. */
  readonly metadataUrl: string
  /** The protected resource (`${issuer}/v1`): the audience of every access token. */
  readonly resource: string
  readonly scopes: readonly string[]
  readonly clients: DevServerClients
  readonly counters: DevServerCounters
  /** Closes the listener and every open connection, keep-alive ones included. */
  stop(): Promise<void>
}

const defaultAccessTokenTtl = 60 * 60
const defaultRefreshTokenTtl = 14 * 24 * 60 * 60
const maxBodyBytes = 64 * 1024

class HttpError extends Error {
  constructor(
    readonly status: number,
    message: string,
  ) {
    super(message)
  }
}

const positiveInteger = (name: string, value: number | undefined, fallback: number): number => {
  if (value === undefined) return fallback
  if (!Number.isInteger(value) || value <= 0)
    throw new RangeError(`${name} must be a positive whole number of seconds`)
  return value
}

const readForm = async (req: IncomingMessage): Promise<URLSearchParams> => {
  let size = 0
  const chunks: Buffer[] = []
  for await (const chunk of req as AsyncIterable<Buffer>) {
    size += chunk.length
    if (size > maxBodyBytes) throw new HttpError(413, "request body too large")
    chunks.push(chunk)
  }
  return new URLSearchParams(Buffer.concat(chunks).toString("utf8"))
}

const send = (
  res: ServerResponse,
  status: number,
  type: string,
  body: string,
  headers: Record<string, string> = {},
) => {
  res.writeHead(status, { "content-type": type, "cache-control": "no-store", ...headers })
  res.end(body)
}

const sendHtml = (res: ServerResponse, status: number, body: string) =>
  send(res, status, "text/html; charset=utf-8", body)

const sendJson = (res: ServerResponse, status: number, body: unknown, headers: Record<string, string> = {}) =>
  send(res, status, "application/json; charset=utf-8", JSON.stringify(body), headers)

const listen = (server: ReturnType<typeof createServer>, port: number, host: string) =>
  new Promise<void>((resolve, reject) => {
    server.once("error", reject)
    server.listen(port, host, () => {
      server.off("error", reject)
      resolve()
    })
  })

const urlHost = (host: string) => (host.includes(":") ? `[${host}]` : host)

const describeClient = (metadata: ClientMetadata): DevClient => ({
  clientId: metadata.client_id,
  ...(typeof metadata.client_secret === "string" ? { clientSecret: metadata.client_secret } : {}),
  tokenEndpointAuthMethod: metadata.token_endpoint_auth_method === "none" ? "none" : "client_secret_basic",
  grantTypes: metadata.grant_types ?? [],
  redirectUris: metadata.redirect_uris ?? [],
})

/**
 * Starts a local OAuth 2.0 authorization server (oidc-provider 9) with four pre-registered
 * clients, Spotify-like scopes, a Spotify-shaped `/v1/me`, and minimal login and consent pages
 * that accept any user name. Local development and tests only: it has fixed demo secrets and
 * forgets everything when stopped.
 */
export const startDevServer = async (options: DevServerOptions = {}): Promise<DevServer> => {
  const host = options.host ?? "127.0.0.1"
  const accessTokenTtl = positiveInteger("accessTokenTtl", options.accessTokenTtl, defaultAccessTokenTtl)
  const refreshTokenTtl = positiveInteger("refreshTokenTtl", options.refreshTokenTtl, defaultRefreshTokenTtl)
  const spaOrigins = [...(options.spaOrigins ?? defaultSpaOrigins)]
  const deviceInterval = positiveInteger("deviceFlow.interval", options.deviceFlow?.interval, 5)
  const slowDownFirstPolls = options.deviceFlow?.slowDownFirstPolls ?? 0
  for (const origin of spaOrigins) {
    if (URL.parse(origin)?.origin !== origin) throw new TypeError(`spaOrigins: ${origin} is not an origin`)
  }

  const { default: ProviderClass, errors } = await loadProvider()
  const { privateKey } = await promisify(generateKeyPair)("rsa", { modulusLength: 2048 })
  const signingKey = { ...privateKey.export({ format: "jwk" }), alg: "RS256", use: "sig" }

  const counters = makeCounters()
  let running: Running | undefined

  const server = createServer((req, res) => {
    dispatch(running, req, res, counters).catch((error: unknown) => {
      if (res.headersSent) {
        res.destroy()
        return
      }
      const status = error instanceof HttpError ? error.status : 500
      if (status === 500) console.error("grantflow dev server:", error)
      sendHtml(res, status, errorPage(error instanceof Error ? error.message : "internal error"))
    })
  })

  let stopping: Promise<void> | undefined
  const close = (): Promise<void> => {
    stopping ??= new Promise<void>((resolve, reject) => {
      server.close((error) => (error === undefined ? resolve() : reject(error)))
      server.closeAllConnections()
    })
    return stopping
  }

  // The issuer names the port, so the provider is made once the server listens.
  const configure = async (): Promise<DevServer> => {
    const port = (server.address() as AddressInfo).port
    const issuer = `http://${urlHost(host)}:${port}`
    const resource = `${issuer}/v1`
    const clients = [...builtInClients(spaOrigins), ...((options.clients ?? []) as ClientMetadata[])]

    // Browser origins that may call the resource: those of public web clients' redirect URIs.
    const resourceOrigins = new Set(
      clients
        .filter((c) => c.token_endpoint_auth_method === "none" && c.application_type !== "native")
        .flatMap((c) => (c.redirect_uris ?? []).map((uri) => URL.parse(uri)?.origin))
        .filter((origin): origin is string => origin !== undefined),
    )

    const configuration: Configuration = {
      adapter: createMemoryAdapter(),
      clients,
      jwks: { keys: [signingKey] },
      cookies: { keys: [randomBytes(32).toString("base64url")] },
      // Tokens expire at their `exp`, not 15 s later, so that short-lived tokens expire on time.
      clockTolerance: 0,
      responseTypes: ["code"],
      claims: { openid: ["sub"], email: ["email"], profile: ["name"] },
      async findAccount(_ctx, sub) {
        return {
          accountId: sub,
          claims: () => ({ sub, email: `${sub}@example.test`, name: sub }),
        }
      },
      // Refresh tokens come with every code grant of a client that may refresh, without
      // offline_access or prompt=consent, and outlive the login session, as Spotify's do.
      issueRefreshToken: async (_ctx, client) => client.grantTypeAllowed("refresh_token"),
      expiresWithSession: async () => false,
      clientBasedCORS: (_ctx, origin, client) =>
        client.clientAuthMethod === "none" &&
        client.applicationType === "web" &&
        (client.redirectUris ?? []).some((uri) => URL.parse(uri)?.origin === origin),
      interactions: { url: async (_ctx, interaction) => `/interaction/${interaction.uid}` },
      // oidc-provider's own error page (e.g. an unregistered redirect_uri), with the dev banner.
      renderError: async (ctx, out) => {
        ctx.type = "html"
        ctx.body = errorPage(
          [out.error, out.error_description].filter((part) => part !== undefined).join(": "),
        )
      },
      features: {
        devInteractions: { enabled: false },
        clientCredentials: { enabled: true },
        deviceFlow: {
          enabled: true,
          userCodeInputSource: async (ctx, form, _out, error) => {
            ctx.type = "html"
            // A refused consent or confirmation comes back as oidc-provider's AbortedError.
            const state = error?.name === "AbortedError" ? "denied" : error === undefined ? "input" : "error"
            ctx.body = deviceInputPage(form, state)
          },
          userCodeConfirmSource: async (ctx, form, client, _deviceInfo, userCode) => {
            ctx.type = "html"
            ctx.body = deviceConfirmPage(form, client.clientName ?? client.clientId, userCode)
          },
          successSource: async (ctx) => {
            ctx.type = "html"
            ctx.body = deviceSuccessPage(ctx.oidc.client?.clientName ?? ctx.oidc.client?.clientId ?? "")
          },
        },
        revocation: {
          enabled: true,
          // oidc-provider's default rule, stated here to silence its "you SHOULD change it" notice:
          // a client may revoke only its own tokens.
          allowedPolicy: async (_ctx, client, token) => {
            if (token.clientId === client.clientId) return true
            if (client.clientAuthMethod === "none") return false
            throw new errors.InvalidRequest("client is not authorized to revoke the presented token")
          },
        },
        resourceIndicators: {
          enabled: true,
          // Every request is for the one resource, so plain `scope=user-read-email` works
          // without a `resource` parameter, and every access token is opaque and aimed at it.
          defaultResource: async (_ctx, _client, oneOf) =>
            (Array.isArray(oneOf) ? oneOf[0] : oneOf) ?? resource,
          useGrantedResource: async () => true,
          getResourceServerInfo: async (_ctx, indicator) => {
            if (indicator !== resource) throw new errors.InvalidTarget(`the only resource is ${resource}`)
            return {
              scope: resourceScopes.join(" "),
              accessTokenFormat: "opaque",
              accessTokenTTL: accessTokenTtl,
            }
          },
        },
      },
      ttl: {
        AccessToken: accessTokenTtl,
        ClientCredentials: accessTokenTtl,
        AuthorizationCode: 60,
        DeviceCode: positiveInteger("deviceFlow.codeTtl", options.deviceFlow?.codeTtl, 10 * 60),
        IdToken: 60 * 60,
        Interaction: 60 * 60,
        Session: 14 * 24 * 60 * 60,
        Grant: Math.max(refreshTokenTtl, 14 * 24 * 60 * 60),
        // oidc-provider's default rule: a rotated refresh token of a public browser client keeps
        // the remaining lifetime of the one it replaces (no sliding expiry without sender binding).
        RefreshToken: (ctx, token, client) => {
          const rotated = ctx?.oidc?.entities.RotatedRefreshToken
          if (
            rotated !== undefined &&
            client.applicationType === "web" &&
            client.clientAuthMethod === "none" &&
            !token.isSenderConstrained()
          ) {
            return rotated.remainingTTL
          }
          return refreshTokenTtl
        },
      },
    }

    const live = new ProviderClass(issuer, configuration)
    const pacing = devicePacing(deviceInterval, slowDownFirstPolls, counters)

    live.use(async (ctx, next) => {
      await next()
      const oidc = (ctx as Partial<KoaContextWithOIDC>).oidc
      if (oidc?.route === "token") {
        const grantType = oidc.params?.grant_type
        if (typeof grantType === "string") {
          counters.tokenRequests[grantType] = (counters.tokenRequests[grantType] ?? 0) + 1
        }
        if (grantType === deviceCodeGrantType) pacing.paceToken(ctx, oidc.params?.device_code)
      } else if (oidc?.route === "device_authorization" && ctx.status === 200) {
        pacing.announce(ctx)
      } else if (oidc?.route === "revocation" && ctx.status === 200) {
        counters.bump("revocations")
      }
    })
    live.on("grant.revoked", (ctx) => {
      if (ctx.oidc.route !== "token") return
      const grantType = ctx.oidc.params?.grant_type
      if (grantType === "refresh_token") counters.bump("refreshReuseDetected")
      if (grantType === "authorization_code") counters.bump("codeReuseDetected")
    })
    live.on("server_error", (_ctx, error) => console.error("grantflow dev server (oidc-provider):", error))
    // oidc-provider checks static clients on first use; check them now so bad metadata fails the start.
    for (const { client_id } of clients) {
      try {
        await live.Client.find(client_id)
      } catch (error) {
        const reason =
          error instanceof Error
            ? ((error as { error_description?: string }).error_description ?? error.message)
            : error
        throw new TypeError(`client ${client_id}: ${String(reason)}`)
      }
    }
    running = { provider: live, callback: live.callback(), issuer, resource, resourceOrigins }

    const describe = (id: string) => describeClient(clients.find((c) => c.client_id === id)!)

    return {
      issuer,
      deviceVerificationUri: `${issuer}/device`,
      port,
      metadataUrl: `${issuer}/.well-known/oauth-authorization-server`,
      resource,
      scopes: resourceScopes,
      clients: {
        web: { ...describe("grantflow-web"), clientSecret: webClientSecret },
        spa: describe("grantflow-spa"),
        cli: describe("grantflow-cli"),
        service: { ...describe("grantflow-service"), clientSecret: serviceClientSecret },
      },
      counters: counters.view,
      stop: close,
    }
  }

  await listen(server, options.port ?? 0, host)
  try {
    return await configure()
  } catch (error) {
    await close()
    throw error
  }
}

interface Running {
  readonly provider: Provider
  readonly callback: (req: IncomingMessage, res: ServerResponse) => Promise<void>
  readonly issuer: string
  readonly resource: string
  readonly resourceOrigins: ReadonlySet<string>
}

const dispatch = async (
  running: Running | undefined,
  req: IncomingMessage,
  res: ServerResponse,
  counters: Counters,
): Promise<void> => {
  if (running === undefined) throw new HttpError(503, "the dev server is starting")
  const { provider, callback, issuer, resource, resourceOrigins } = running
  const url = new URL(req.url ?? "/", issuer)
  if (url.pathname === "/.well-known/oauth-authorization-server") {
    // RFC 8414 metadata is the same document as OpenID discovery; oidc-provider serves only that one.
    req.url = `/.well-known/openid-configuration${url.search}`
    return callback(req, res)
  }
  if (url.pathname === "/v1" || url.pathname.startsWith("/v1/")) {
    return serveResource(provider, req, res, url, resource, resourceOrigins, counters)
  }
  const interaction = /^\/interaction\/([^/]+)(?:\/(login|confirm|abort))?$/.exec(url.pathname)
  if (interaction !== null) {
    return serveInteraction(provider, req, res, interaction[1]!, interaction[2])
  }
  return callback(req, res)
}

type CounterName =
  | "refreshReuseDetected"
  | "codeReuseDetected"
  | "revocations"
  | "resourceRequests"
  | "resourceUnauthorized"
  | "slowDowns"

const makeCounters = () => {
  const tokenRequests: TokenRequestCounts = { authorization_code: 0, refresh_token: 0, client_credentials: 0 }
  const counts: Record<CounterName, number> = {
    refreshReuseDetected: 0,
    codeReuseDetected: 0,
    revocations: 0,
    resourceRequests: 0,
    resourceUnauthorized: 0,
    slowDowns: 0,
  }
  const view: DevServerCounters = {
    tokenRequests,
    get refreshReuseDetected() {
      return counts.refreshReuseDetected
    },
    get codeReuseDetected() {
      return counts.codeReuseDetected
    },
    get revocations() {
      return counts.revocations
    },
    get resourceRequests() {
      return counts.resourceRequests
    },
    get resourceUnauthorized() {
      return counts.resourceUnauthorized
    },
    get slowDowns() {
      return counts.slowDowns
    },
    reset() {
      for (const key of Object.keys(tokenRequests)) tokenRequests[key] = 0
      for (const key of Object.keys(counts) as CounterName[]) counts[key] = 0
    },
  }
  return {
    tokenRequests,
    view,
    bump(name: CounterName) {
      counts[name] += 1
    },
  }
}

type Counters = ReturnType<typeof makeCounters>

/**
 * oidc-provider announces no `interval` and never answers `slow_down`; RFC 8628 §3.5 clients must
 * honour both, so the dev server adds them: the interval in the device authorization response,
 * and `slow_down` (adding 5 s to that code's interval) for polls that come too soon.
 */
const devicePacing = (intervalSeconds: number, slowDownFirstPolls: number, counters: Counters) => {
  const polls = new Map<string, { count: number; last: number; intervalMs: number }>()
  // Timers fire a little early or late; a poll this much inside the interval is still on time.
  const toleranceMs = 100
  return {
    announce(ctx: { body: unknown }) {
      if (typeof ctx.body === "object" && ctx.body !== null) {
        ctx.body = { ...ctx.body, interval: intervalSeconds }
      }
    },
    paceToken(ctx: { status: number; body: unknown }, deviceCode: unknown) {
      if (typeof deviceCode !== "string") return
      const body = ctx.body as { error?: unknown } | undefined
      if (ctx.status !== 400 || body?.error !== "authorization_pending") {
        polls.delete(deviceCode)
        return
      }
      const now = Date.now()
      const poll = polls.get(deviceCode) ?? { count: 0, last: 0, intervalMs: intervalSeconds * 1000 }
      poll.count += 1
      const tooSoon = poll.last !== 0 && now - poll.last < poll.intervalMs - toleranceMs
      if (tooSoon || poll.count <= slowDownFirstPolls) {
        poll.intervalMs += 5000
        counters.bump("slowDowns")
        ctx.body = { error: "slow_down", error_description: "Poll less often: wait 5 s more between polls" }
      }
      poll.last = now
      polls.set(deviceCode, poll)
    },
  }
}

const serveInteraction = async (
  provider: Provider,
  req: IncomingMessage,
  res: ServerResponse,
  uid: string,
  action: string | undefined,
) => {
  let details: Awaited<ReturnType<Provider["interactionDetails"]>>
  try {
    details = await provider.interactionDetails(req, res)
  } catch (error) {
    const reason = error instanceof Error ? error.message : String(error)
    throw new HttpError(
      400,
      `This sign-in has expired or was opened in another browser (${reason}). Start again.`,
    )
  }
  if (details.uid !== uid) throw new HttpError(400, "This sign-in page is stale. Start again.")

  const { prompt, params } = details
  const clientId = String(params.client_id ?? "")
  const client = await provider.Client.find(clientId)
  const clientName = typeof client?.clientName === "string" ? client.clientName : clientId

  if (action === undefined) {
    if (req.method !== "GET") throw new HttpError(405, "method not allowed")
    if (prompt.name === "login") return sendHtml(res, 200, loginPage(uid, clientName))
    if (prompt.name === "consent") {
      const requested = String(params.scope ?? "")
        .split(" ")
        .filter((s) => s !== "")
      return sendHtml(res, 200, consentPage(uid, clientName, details.session?.accountId ?? "", requested))
    }
    throw new HttpError(400, `unsupported prompt ${prompt.name}`)
  }

  if (req.method !== "POST") throw new HttpError(405, "method not allowed")
  const form = await readForm(req)

  if (action === "abort") {
    return provider.interactionFinished(
      req,
      res,
      { error: "access_denied", error_description: "The user cancelled the sign-in" },
      { mergeWithLastSubmission: false },
    )
  }

  if (action === "login") {
    if (prompt.name !== "login") throw new HttpError(400, "this sign-in is past the login step")
    const username = (form.get("username") ?? "").trim() || "demo-user"
    return provider.interactionFinished(
      req,
      res,
      { login: { accountId: username } },
      { mergeWithLastSubmission: false },
    )
  }

  // action === "confirm"
  if (prompt.name !== "consent") throw new HttpError(400, "this sign-in is not at the consent step")
  if (form.get("decision") !== "allow") {
    return provider.interactionFinished(
      req,
      res,
      { error: "access_denied", error_description: "The user denied the request" },
      { mergeWithLastSubmission: true },
    )
  }
  const accountId = details.session?.accountId
  if (accountId === undefined) throw new HttpError(400, "no signed-in user")
  const grant =
    (details.grantId === undefined ? undefined : await provider.Grant.find(details.grantId)) ??
    new provider.Grant({ accountId, clientId })
  const missing = prompt.details as {
    missingOIDCScope?: string[]
    missingOIDCClaims?: string[]
    missingResourceScopes?: Record<string, string[]>
  }
  if (missing.missingOIDCScope) grant.addOIDCScope(missing.missingOIDCScope.join(" "))
  if (missing.missingOIDCClaims) grant.addOIDCClaims(missing.missingOIDCClaims)
  for (const [indicator, scopes] of Object.entries(missing.missingResourceScopes ?? {})) {
    grant.addResourceScope(indicator, scopes.join(" "))
  }
  const grantId = await grant.save()
  return provider.interactionFinished(req, res, { consent: { grantId } }, { mergeWithLastSubmission: true })
}

const markets = ["AR", "AU", "BR", "CA", "DE", "ES", "FR", "GB", "IT", "JP", "MX", "NL", "SE", "US"]

const serveResource = async (
  provider: Provider,
  req: IncomingMessage,
  res: ServerResponse,
  url: URL,
  resource: string,
  allowedOrigins: ReadonlySet<string>,
  counters: Counters,
) => {
  const origin = req.headers.origin
  const cors: Record<string, string> =
    origin !== undefined && allowedOrigins.has(origin)
      ? {
          "access-control-allow-origin": origin,
          "access-control-expose-headers": "WWW-Authenticate",
          vary: "Origin",
        }
      : {}
  if (req.method === "OPTIONS") {
    res.writeHead(204, {
      ...cors,
      ...(cors["access-control-allow-origin"] === undefined
        ? {}
        : {
            "access-control-allow-methods": "GET",
            "access-control-allow-headers": "Authorization",
            "access-control-max-age": "600",
          }),
    })
    res.end()
    return
  }
  counters.bump("resourceRequests")

  // Spotify's error shape: { error: { status, message } }. RFC 6750 §3 challenges.
  const unauthorized = (message: string, error?: string) => {
    counters.bump("resourceUnauthorized")
    const challenge =
      error === undefined
        ? 'Bearer realm="grantflow-dev-server"'
        : `Bearer realm="grantflow-dev-server", error="${error}", error_description="${message}"`
    sendJson(res, 401, { error: { status: 401, message } }, { ...cors, "www-authenticate": challenge })
  }

  const authorization = req.headers.authorization
  if (authorization === undefined) return unauthorized("No token provided")
  const match = /^Bearer[ ]+([\x21-\x7e]+)$/i.exec(authorization)
  if (match === null) return unauthorized("Only valid bearer authentication supported", "invalid_request")
  const value = match[1]!

  const token =
    (await provider.AccessToken.find(value, { ignoreExpiration: true })) ??
    (await provider.ClientCredentials.find(value, { ignoreExpiration: true }))
  if (token === undefined) return unauthorized("Invalid access token", "invalid_token")
  if (token.isExpired) return unauthorized("The access token expired", "invalid_token")
  const audience = (token as { aud?: string | string[] }).aud
  if (!(Array.isArray(audience) ? audience.includes(resource) : audience === resource)) {
    return unauthorized("The access token is not for this resource", "invalid_token")
  }

  if (req.method !== "GET")
    return sendJson(res, 405, { error: { status: 405, message: "Method not allowed" } }, cors)

  if (url.pathname === "/v1/markets") return sendJson(res, 200, { markets }, cors)
  if (url.pathname === "/v1/me") {
    const accountId = (token as { accountId?: string }).accountId
    if (token.kind === "ClientCredentials" || accountId === undefined) {
      return sendJson(
        res,
        403,
        {
          error: {
            status: 403,
            message: "A client credentials token has no user: /v1/me needs a user's token",
          },
        },
        cors,
      )
    }
    const scopes = token.scopes
    return sendJson(
      res,
      200,
      {
        id: accountId,
        display_name: accountId,
        ...(scopes.has("user-read-email") ? { email: `${accountId}@example.test` } : {}),
        type: "user",
        uri: `grantflow:user:${accountId}`,
      },
      cors,
    )
  }
  return sendJson(res, 404, { error: { status: 404, message: "Service not found" } }, cors)
}
