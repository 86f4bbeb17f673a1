/**
 * `auth()`: a server login (authorization code with PKCE, confidential client) as Express
 * middleware, with one token source per signed-in user.
 *
 * @module
 */
import { randomBytes } from "node:crypto"
import {
  authorizationCode,
  ConfigError,
  InvalidPendingLogin,
  type PendingLogin,
  type Provider,
  type TokenSource,
} from "@grantflow/core"
import { type AnyCredentialStore, toCredentialStoreService } from "@grantflow/core/PromiseCredentialStore"
import * as Effect from "effect/Effect"
import type { ErrorRequestHandler, NextFunction, Request, RequestHandler, Response } from "express"
import { NotAuthenticated } from "./Errors.js"
import { parseCookies, serializeCookie, sign, unsign } from "./internal/cookies.js"
import { describeFailure } from "./internal/failures.js"
import { errorPage, logoutPage } from "./internal/pages.js"
import { safeReturnTo } from "./internal/returnTo.js"
import { SessionSources, storeKeyOf } from "./internal/sessionSources.js"
import { memorySessionStore } from "./SessionStore.js"

/** The paths `auth()` answers. */
export interface AuthRoutes {
  /** `GET`: starts a login; `?returnTo=/path` comes back there. Default `/login`. */
  readonly login?: string
  /** `GET`: the redirect URI's path (`baseUrl` + this). Default `/callback`. */
  readonly callback?: string
  /** `POST` logs out; `GET` shows a confirmation form. Default `/logout`. */
  readonly logout?: string
}

/** Options of {@link auth}. */
export interface AuthOptions<Scope extends string> {
  readonly provider: Provider<Scope>
  readonly clientId: string
  readonly clientSecret: string
  readonly scopes?: ReadonlyArray<NoInfer<Scope>> | undefined
  /** The app's own origin (and base path): the redirect URI is `baseUrl` + `routes.callback`. */
  readonly baseUrl: string
  /** Signs the session cookie and seals the pending login: at least 32 random characters. */
  readonly secret: string
  /**
   * Where users' credentials live, keyed per session: an Effect `CredentialStoreService` or a
   * Promise-shaped store (`get`, `set`, `remove`, `withLock`). Default: {@link memorySessionStore}.
   */
  readonly store?: AnyCredentialStore | undefined
  readonly routes?: AuthRoutes | undefined
  /**
   * Cookie names. Defaults `gf_session` and `gf_login` (with the `__Host-` prefix when Secure):
   * on loopback, cookies ignore ports, so they must differ from the provider's (oidc-provider
   * uses `_session` and `_interaction`).
   */
  readonly cookies?: { readonly session?: string; readonly login?: string } | undefined
  /** More authorization request parameters (Spotify's `show_dialog`, for instance). */
  readonly authorizationParams?: Readonly<Record<string, string | number | boolean>> | undefined
  /** How long the session cookie lives. Default 7 days. */
  readonly sessionMaxAgeMs?: number | undefined
  /** How long a user's token source runs after their last request. Default 60 s. */
  readonly sourceIdleMs?: number | undefined
  /** Renew this long before expiry (never more than half the token's lifetime). Default 60 s. */
  readonly renewalMarginMs?: number | undefined
}

/** What `auth()` puts on every request as `req.grantflow`. */
export interface GrantflowRequestContext {
  /** True when the request carries a signed-in session. */
  isAuthenticated(): boolean
  /** The user's access token, renewed first when due: one renewal per user, whatever the concurrency. */
  getAccessToken(): Promise<string>
  /** `fetch` as the user: Bearer token, and on a 401 one renewal and one replay. */
  fetch(input: RequestInfo | URL, init?: RequestInit): Promise<Response_>
  /** What the app may show about the session: no token in it. Undefined when signed out. */
  getSession(): Promise<SessionInfo | undefined>
  /** Renews the user's tokens now, whatever their expiry. */
  refresh(): Promise<void>
  /** The login URL that comes back to `returnTo` (a same-origin path). */
  loginUrl(returnTo?: string): string
  /** The logout route (POST). */
  readonly logoutUrl: string
}

type Response_ = globalThis.Response

/** The session as an app may display it. */
export interface SessionInfo {
  readonly scopes: ReadonlyArray<string>
  /** Epoch milliseconds. */
  readonly expiresAt?: number | undefined
  /** How many times the grant's tokens were renewed. */
  readonly revision: number
  /** When this process last saw the tokens renewed (epoch milliseconds), if it did. */
  readonly refreshedAt?: number | undefined
}

declare global {
  namespace Express {
    interface Request {
      /** grantflow's view of the signed-in user: set by `auth()` on every request. */
      grantflow: GrantflowRequestContext
    }
  }
}

const defaultSessionMaxAgeMs = 7 * 24 * 60 * 60 * 1000
const defaultSourceIdleMs = 60_000
const pendingMaxAgeMs = 10 * 60 * 1000
const loopbackHosts = new Set(["127.0.0.1", "[::1]", "localhost"])

const validate = <Scope extends string>(options: AuthOptions<Scope>) => {
  const problems: string[] = []
  const base = URL.parse(options.baseUrl)
  if (base === null) problems.push("baseUrl must be an absolute URL (https://app.example.com).")
  else if (base.protocol !== "https:" && !(base.protocol === "http:" && loopbackHosts.has(base.hostname)))
    problems.push("baseUrl must be https, except on a loopback host (127.0.0.1, [::1], localhost).")
  if (typeof options.secret !== "string" || options.secret.length < 32)
    problems.push("secret must be at least 32 characters (random, kept out of the code).")
  if (!options.clientId) problems.push("clientId must not be empty.")
  if (!options.clientSecret)
    problems.push("clientSecret must not be empty: auth() is for confidential clients.")
  for (const [name, path] of Object.entries(options.routes ?? {})) {
    if (typeof path !== "string" || !path.startsWith("/") || path.startsWith("//"))
      problems.push(`routes.${name} must be a path starting with one "/".`)
  }
  if (problems.length > 0) throw new ConfigError({ reason: `auth(): ${problems.join(" ")}` })
  return base!
}

const wantsHtml = (req: Request): boolean => (req.headers.accept ?? "").includes("text/html")

const newSessionId = (): string => randomBytes(32).toString("base64url")

const noStore = (res: Response) => {
  res.setHeader("cache-control", "no-store")
  res.setHeader("referrer-policy", "no-referrer")
}

/**
 * Recently completed logins by `state`: a callback reloaded or double-clicked while (or after)
 * its twin completes joins that session instead of redeeming the code again. Only a request
 * carrying the same sealed pending login (the same browser) gets here.
 */
class CompletedLogins {
  readonly #byState = new Map<string, { readonly session: Promise<string>; readonly until: number }>()

  get(state: string): Promise<string> | undefined {
    const entry = this.#byState.get(state)
    if (entry === undefined || entry.until < Date.now()) return undefined
    return entry.session
  }

  set(state: string, session: Promise<string>): void {
    const now = Date.now()
    for (const [key, entry] of this.#byState) {
      if (entry.until >= now && this.#byState.size < 10_000) break
      this.#byState.delete(key)
    }
    this.#byState.set(state, { session, until: now + pendingMaxAgeMs })
    session.catch(() => this.#byState.delete(state))
  }
}

/**
 * Express middleware for a server login: mounts `GET /login?returnTo=…`, `GET /callback` and
 * `POST /logout` (a GET shows a confirmation), and gives every request `req.grantflow`. Mount it
 * at the app's root, before the routes that use it. The session cookie holds a signed random id;
 * credentials stay in `store`, one record per session; a user's token source starts on demand,
 * is shared by their concurrent requests and stops when idle. Works with Express 5 and 4.
 *
 * @see https://www.rfc-editor.org/rfc/rfc6749#section-4.1
 * @see https://www.rfc-editor.org/rfc/rfc7636
 * @see https://www.rfc-editor.org/rfc/rfc9700#section-2.1
 */
export const auth = <Scope extends string>(options: AuthOptions<Scope>): RequestHandler => {
  const base = validate(options)
  const origin = base.origin
  const basePath = base.pathname.replace(/\/$/, "")
  const routes = {
    login: options.routes?.login ?? "/login",
    callback: options.routes?.callback ?? "/callback",
    logout: options.routes?.logout ?? "/logout",
  }
  const redirectUri = `${origin}${basePath}${routes.callback}`
  const secure = base.protocol === "https:"
  const cookieName = (name: string) => (secure ? `__Host-${name}` : name)
  const sessionCookie = options.cookies?.session ?? cookieName("gf_session")
  const loginCookie = options.cookies?.login ?? cookieName("gf_login")
  const sessionMaxAge = Math.floor((options.sessionMaxAgeMs ?? defaultSessionMaxAgeMs) / 1000)
  const store =
    options.store === undefined
      ? memorySessionStore({ idleTimeoutMs: sessionMaxAge * 1000 })
      : toCredentialStoreService(options.store)
  const scopes: ReadonlyArray<string> = [...(options.scopes ?? [])]
  const flow = {
    provider: options.provider as Provider<string>,
    clientId: options.clientId,
    clientSecret: options.clientSecret,
    scopes,
  }
  const sources = new SessionSources({
    ...flow,
    store,
    idleMs: options.sourceIdleMs ?? defaultSourceIdleMs,
    renewalMarginMs: options.renewalMarginMs,
  })
  const completed = new CompletedLogins()

  const loginUrl = (returnTo?: string) =>
    `${basePath}${routes.login}?returnTo=${encodeURIComponent(safeReturnTo(returnTo ?? "/", origin))}`

  const setCookie = (res: Response, name: string, value: string, maxAge: number) =>
    res.append("set-cookie", serializeCookie(name, value, { secure, maxAge }))

  const readSession = async (req: Request): Promise<string | undefined> => {
    const signed = parseCookies(req.headers.cookie).get(sessionCookie)
    const sessionId = signed === undefined ? undefined : unsign(signed, options.secret)
    if (sessionId === undefined) return undefined
    return (await sources.read(sessionId)) === undefined ? undefined : sessionId
  }

  const contextFor = (sessionId: string | undefined): GrantflowRequestContext => {
    let signedIn = sessionId !== undefined
    const withSource = <A>(use: (source: TokenSource) => Promise<A>): Promise<A> => {
      if (!signedIn || sessionId === undefined) return Promise.reject(new NotAuthenticated())
      return sources
        .use(sessionId, (source) =>
          source === undefined ? Promise.reject(new NotAuthenticated()) : use(source),
        )
        .catch((error: unknown) => {
          const tag = (error as { _tag?: string })?._tag
          if (tag === "ReauthenticationRequired" || tag === "NotAuthenticated") signedIn = false
          throw error
        })
    }
    return {
      isAuthenticated: () => signedIn,
      getAccessToken: () => withSource((source) => source.getAccessToken()),
      fetch: (input, init) => withSource((source) => source.fetch(input, init)),
      getSession: async () => {
        if (!signedIn || sessionId === undefined) return undefined
        const stored = await sources.read(sessionId)
        if (stored === undefined) return undefined
        return {
          scopes: stored.scopes,
          expiresAt: stored.expiresAt,
          revision: stored.revision ?? 0,
          refreshedAt: sources.refreshedAt(sessionId),
        }
      },
      refresh: () =>
        signedIn && sessionId !== undefined
          ? sources.refresh(sessionId)
          : Promise.reject(new NotAuthenticated()),
      loginUrl,
      logoutUrl: `${basePath}${routes.logout}`,
    }
  }

  const login = async (req: Request, res: Response) => {
    const returnTo = safeReturnTo(new URL(req.originalUrl, origin).searchParams.get("returnTo"), origin)
    const { url, pending } = await authorizationCode.begin({
      provider: flow.provider,
      clientId: flow.clientId,
      redirectUri,
      scopes,
      params: options.authorizationParams,
    })
    const sealed = await authorizationCode.seal(pending, options.secret, { maxAgeMs: pendingMaxAgeMs })
    noStore(res)
    const value = sign(`${sealed}~${Buffer.from(returnTo).toString("base64url")}`, options.secret)
    setCookie(res, loginCookie, value, pendingMaxAgeMs / 1000)
    res.redirect(302, url)
  }

  const openPending = async (value: string | undefined) => {
    if (value === undefined) throw new InvalidPendingLogin({ reason: "Expired" })
    const unsigned = unsign(value, options.secret)
    const [sealed, returnTo] = unsigned?.split("~") ?? []
    if (sealed === undefined || returnTo === undefined) throw new InvalidPendingLogin({ reason: "Malformed" })
    const pending: PendingLogin = await authorizationCode.unseal(sealed, options.secret)
    return { pending, returnTo: safeReturnTo(Buffer.from(returnTo, "base64url").toString(), origin) }
  }

  const complete = (pending: PendingLogin, callbackUrl: string): Promise<string> => {
    const sessionId = newSessionId()
    return authorizationCode
      .complete({
        ...flow,
        pending,
        callbackUrl,
        store,
        storeKey: storeKeyOf(sessionId),
        renewalMarginMs: options.renewalMarginMs,
      })
      .then((source) => {
        sources.adopt(sessionId, source)
        return sessionId
      })
  }

  const callback = async (req: Request, res: Response, previousSession: string | undefined) => {
    noStore(res)
    const raw = parseCookies(req.headers.cookie).get(loginCookie)
    // The pending login is single-use: whatever happens next, this browser drops it.
    setCookie(res, loginCookie, "", 0)
    if (raw === undefined && previousSession !== undefined) {
      // A callback reloaded after it completed: the user is signed in already.
      return res.redirect(302, `${basePath}/`)
    }
    const { pending, returnTo } = await openPending(raw)
    let session = completed.get(pending.state)
    if (session === undefined) {
      session = complete(pending, req.originalUrl)
      completed.set(pending.state, session)
    }
    const sessionId = await session
    // A new session id at every login (no session fixation); the old session is forgotten.
    if (previousSession !== undefined && previousSession !== sessionId) {
      sources.end(previousSession)
      await Effect.runPromise(store.remove(storeKeyOf(previousSession)))
    }
    setCookie(res, sessionCookie, sign(sessionId, options.secret), sessionMaxAge)
    res.redirect(302, returnTo)
  }

  const logout = async (req: Request, res: Response, sessionId: string | undefined) => {
    noStore(res)
    if (req.method === "GET") {
      res.type("html").send(logoutPage(`${basePath}${routes.logout}`))
      return
    }
    // A cross-site form post must not log the user out (SameSite=Lax already withholds the cookie).
    const from = req.headers.origin
    if (from !== undefined && from !== origin) {
      res.status(403).type("text").send("Cross-site logout refused.")
      return
    }
    if (sessionId !== undefined) {
      await sources
        .use(sessionId, async (source) => source?.revoke())
        .catch(() => {
          // Revocation is best effort (the provider may be down); the session is forgotten anyway.
        })
      sources.end(sessionId)
      await Effect.runPromise(store.remove(storeKeyOf(sessionId)))
    }
    setCookie(res, sessionCookie, "", 0)
    res.redirect(303, `${basePath}/`)
  }

  const routePath = (path: string) => `${basePath}${path}`

  return (req: Request, res: Response, next: NextFunction) => {
    const handle = async () => {
      const sessionId = await readSession(req)
      req.grantflow = contextFor(sessionId)
      const path = req.path
      if (path === routePath(routes.login) && req.method === "GET") return login(req, res)
      if (path === routePath(routes.callback) && req.method === "GET") return callback(req, res, sessionId)
      if (path === routePath(routes.logout) && (req.method === "GET" || req.method === "POST"))
        return logout(req, res, sessionId)
      next()
    }
    handle().catch((error: unknown) => sendFailure(error, req, res, next))
  }
}

/** Answers a grantflow failure with a page (or JSON) that says what happened and offers a retry. */
const sendFailure = (error: unknown, req: Request, res: Response, next: NextFunction) => {
  const failure = describeFailure(error)
  if (failure === undefined || res.headersSent) return next(error)
  const context = req.grantflow as GrantflowRequestContext | undefined
  const returnTo = failure.status === 401 ? req.originalUrl : "/"
  const retryUrl = context?.loginUrl(returnTo) ?? "/"
  if (failure.status === 401 && wantsHtml(req)) return res.redirect(302, retryUrl)
  res.status(failure.status)
  if (wantsHtml(req)) {
    res.type("html").send(errorPage({ ...failure, retryUrl }))
  } else {
    res.json({ error: failure.code, title: failure.title, message: failure.message, login: retryUrl })
  }
}

/**
 * Lets only signed-in users through: HTML requests go to the login with `returnTo`, others get a
 * 401 with a JSON body.
 *
 * @see https://www.rfc-editor.org/rfc/rfc6750#section-3.1
 */
export const requiresAuth =
  (): RequestHandler =>
  (req: Request, res: Response, next: NextFunction): void => {
    if (req.grantflow === undefined) {
      next(new ConfigError({ reason: "requiresAuth() needs app.use(auth(...)) before it." }))
      return
    }
    if (req.grantflow.isAuthenticated()) {
      next()
      return
    }
    sendFailure(new NotAuthenticated(), req, res, next)
  }

/**
 * An error handler to put after the app's routes: a user whose refresh token died
 * (`ReauthenticationRequired`) is sent to log in again with `returnTo` kept (a 401 with JSON for
 * API requests); other grantflow failures get a page that says what happened. Other errors go on.
 *
 * @see https://www.rfc-editor.org/rfc/rfc6749#section-5.2
 */
export const authErrorHandler =
  (): ErrorRequestHandler =>
  (error: unknown, req: Request, res: Response, next: NextFunction): void =>
    sendFailure(error, req, res, next)
