/**
 * A real Express app with `auth()` over a real dev-server (oidc-provider) on free loopback ports,
 * and a small cookie-keeping HTTP client that stands in for a browser.
 */
import { createServer, type Server } from "node:http"
import type { AddressInfo } from "node:net"
import { type CredentialStore, discoverProvider, type Provider } from "@grantflow/core"
import { completeLogin, type DevServer, startDevServer } from "@grantflow/dev-server"
import express, { type Express } from "express"
import { afterAll, beforeAll } from "vitest"
import { type AuthOptions, auth, authErrorHandler, memorySessionStore, requiresAuth } from "../src/index.js"

export const secret = "test-secret-test-secret-test-secret-0123456789"
export const clientId = "grantflow-express-test"
export const clientSecret = "grantflow-express-test-local-secret"

export interface Running {
  readonly server: DevServer
  readonly provider: Provider<string>
  readonly store: CredentialStore.CredentialStoreService
  /** `http://127.0.0.1:<port>` of the Express app. */
  readonly origin: string
}

const listen = (server: Server) =>
  new Promise<number>((resolve) =>
    server.listen(0, "127.0.0.1", () => resolve((server.address() as AddressInfo).port)),
  )

/** Starts a dev-server and an Express app using `auth()` for the enclosing suite. */
export const useApp = (
  options: {
    readonly accessTokenTtl?: number
    readonly auth?: Partial<AuthOptions<string>>
    /** The app's public address, when not the loopback one it listens on (a TLS proxy in front). */
    readonly baseUrl?: string
    /** The Express to build the app with; default Express 5. */
    readonly express?: () => Express
    /** Replaces the discovered provider (fault injection). */
    readonly provider?: (discovered: Provider<string>) => Provider<string>
  } = {},
) => {
  const running: { current?: Running; http?: Server } = {}
  beforeAll(async () => {
    const http = createServer()
    const port = await listen(http)
    const origin = `http://127.0.0.1:${port}`
    const baseUrl = options.baseUrl ?? origin
    const server = await startDevServer({
      ...(options.accessTokenTtl === undefined ? {} : { accessTokenTtl: options.accessTokenTtl }),
      clients: [
        {
          client_id: clientId,
          client_secret: clientSecret,
          token_endpoint_auth_method: "client_secret_basic",
          grant_types: ["authorization_code", "refresh_token", "client_credentials"],
          response_types: ["code"],
          redirect_uris: [`${baseUrl}/callback`],
        },
      ],
    })
    const discovered = (await discoverProvider(server.issuer)) as Provider<string>
    const provider = options.provider?.(discovered) ?? discovered
    const store = memorySessionStore()
    const app = (options.express ?? express)()
    app.use(
      auth({
        provider,
        clientId,
        clientSecret,
        baseUrl,
        secret,
        store,
        scopes: ["user-read-email"],
        ...options.auth,
      }),
    )
    app.get("/", (req, res) => {
      res.json({ authenticated: req.grantflow.isAuthenticated() })
    })
    app.get("/api/me", requiresAuth(), async (req, res) => {
      const me = await req.grantflow.fetch(`${server.issuer}/v1/me`)
      res.status(me.status).json(await me.json())
    })
    app.get("/profile", requiresAuth(), async (req, res) => {
      const me = (await (await req.grantflow.fetch(`${server.issuer}/v1/me`)).json()) as { id: string }
      res.type("html").send(`<p>Hello ${me.id}</p>`)
    })
    app.get("/session", requiresAuth(), async (req, res) => {
      res.json(await req.grantflow.getSession())
    })
    app.post("/refresh", requiresAuth(), async (req, res) => {
      await req.grantflow.refresh()
      res.json(await req.grantflow.getSession())
    })
    app.use(authErrorHandler())
    http.on("request", app)
    running.http = http
    running.current = { server, provider, store, origin }
  })
  afterAll(async () => {
    running.http?.closeAllConnections()
    await new Promise((resolve) => running.http?.close(resolve))
    await running.current?.server.stop()
  })
  return () => {
    if (running.current === undefined) throw new Error("the app has not started")
    return running.current
  }
}

/** A browser's part in these tests: one cookie jar for the app's host, redirects by hand. */
export class Agent {
  readonly cookies = new Map<string, string>()
  constructor(readonly origin: string) {}

  async request(
    path: string,
    init: {
      readonly method?: string
      readonly accept?: string
      readonly headers?: Record<string, string>
    } = {},
  ): Promise<Response> {
    const cookie = [...this.cookies].map(([name, value]) => `${name}=${value}`).join("; ")
    const response = await fetch(new URL(path, this.origin), {
      method: init.method ?? "GET",
      redirect: "manual",
      headers: {
        accept: init.accept ?? "text/html",
        ...(cookie === "" ? {} : { cookie }),
        ...init.headers,
      },
    })
    for (const line of response.headers.getSetCookie()) {
      const [pair = ""] = line.split(";")
      const eq = pair.indexOf("=")
      const name = pair.slice(0, eq)
      const value = pair.slice(eq + 1)
      if (value === "" || /max-age=0\b/i.test(line)) this.cookies.delete(name)
      else this.cookies.set(name, value)
    }
    return response
  }

  /** GET /login, then the dev-server's own login and consent pages: the callback URL to visit. */
  async authorize(
    options: {
      readonly username?: string
      readonly returnTo?: string
      readonly consent?: "allow" | "deny"
    } = {},
  ) {
    const query = options.returnTo === undefined ? "" : `?returnTo=${encodeURIComponent(options.returnTo)}`
    const login = await this.request(`/login${query}`)
    if (login.status !== 302) throw new Error(`/login answered ${login.status}`)
    return completeLogin(login.headers.get("location")!, {
      username: options.username ?? "alice",
      consent: options.consent ?? "allow",
    })
  }

  /** A whole login; resolves to the callback's response (a redirect to returnTo). */
  async signIn(options: { readonly username?: string; readonly returnTo?: string } = {}) {
    const callbackUrl = await this.authorize(options)
    return this.request(callbackUrl)
  }
}

export const sleep = (ms: number) => new Promise((resolve) => setTimeout(resolve, ms))
