/**
 * A single-page app's login: authorization code with PKCE for a public client, the pending login
 * sealed in sessionStorage, credentials in memory or IndexedDB, renewals single-flight across tabs.
 *
 * @module
 */

import type { TokenSource, TokenSourceSnapshot } from "@grantflow/core"
import { authorizationCode } from "@grantflow/core/AuthorizationCode"
import type { ParamValue } from "@grantflow/core/AuthorizationRequest"
import { type CredentialStoreService, makeMemory } from "@grantflow/core/CredentialStore"
import type { Credentials } from "@grantflow/core/Credentials"
import { ConfigError, InvalidPendingLogin, ReauthenticationRequired } from "@grantflow/core/Errors"
import type { Provider } from "@grantflow/core/Provider"
import { savedCredentials } from "@grantflow/core/SavedCredentials"
import * as Effect from "effect/Effect"
import * as Option from "effect/Option"
import { type BrowserStoreOptions, makeBrowserStore } from "./BrowserStore.js"
import { openDatabase } from "./internal/indexedDb.js"
import { isSafeReturnTo, readPendingEntry } from "./internal/pendingEntry.js"
import { run } from "./internal/run.js"
import { sealingKey } from "./internal/sealingKey.js"

/** Where credentials live: this tab's memory (the default) or IndexedDB, shared by the origin's tabs. */
export type Persistence = "memory" | "indexeddb"

/** What {@link createBrowserAuth} needs. */
export interface BrowserAuthOptions<Scope extends string = string> {
  readonly provider: Provider<Scope>
  readonly clientId: string
  /** The callback page's absolute URL, registered with the server. */
  readonly redirectUri: string
  readonly scopes?: ReadonlyArray<NoInfer<Scope>> | undefined
  /** Default `memory`: credentials end with the page. `indexeddb` keeps them across reloads and tabs. */
  readonly persist?: Persistence | undefined
  /** Extra authorization parameters, such as Spotify's `show_dialog`. */
  readonly params?: Readonly<Record<string, ParamValue>> | undefined
  /** Renew this long before expiry (never more than half the token's lifetime). Default 60 s. */
  readonly renewalMarginMs?: number | undefined
  /** The browser APIs to use instead of the page's own (tests, workers, iframes). */
  readonly environment?: BrowserEnvironment | undefined
}

/** The page APIs the adapter touches; each defaults to the global one. */
export interface BrowserEnvironment extends BrowserStoreOptions {
  readonly sessionStorage?: Storage | undefined
  readonly location?: Pick<Location, "href" | "assign"> | undefined
  readonly history?: Pick<History, "replaceState" | "state"> | undefined
}

/** What the app shows: never a token. */
export interface BrowserAuthState {
  readonly authenticated: boolean
  /** Epoch milliseconds at which this tab's access token expires. */
  readonly expiresAt?: number | undefined
  /** The flow's state: `valid`, `renewing`, ...; `signedOut` when there is no login. */
  readonly status: string
}

/** The browser adapter. */
export interface BrowserAuth {
  /** Resolves once the stored credentials (with `indexeddb`) have been read. */
  ready(): Promise<void>
  /** Starts a PKCE login and navigates to the authorization server; `returnTo` (default `/`) is a same-origin path. */
  login(options?: { readonly returnTo?: string | undefined }): Promise<void>
  /** On the callback page: completes the login once, however often it is called. */
  handleRedirect(): Promise<{ readonly returnTo: string }>
  /** Whether this tab holds a login (after {@link BrowserAuth.ready} with `indexeddb`). */
  isAuthenticated(): boolean
  /** A valid access token, renewed first when due; one renewal across all tabs. */
  getAccessToken(): Promise<string>
  /** `fetch` with the Bearer token; on a 401 it renews once and replays once. */
  fetch(input: RequestInfo | URL, init?: RequestInit): Promise<Response>
  /** Renews now, unless another tab renewed since this one's credentials were obtained. */
  refresh(): Promise<void>
  /** Revokes the grant at the server (RFC 7009), then forgets it here and in every tab. */
  logout(): Promise<void>
  state(): BrowserAuthState
  /** Calls `listener` whenever {@link BrowserAuth.state} may have changed; returns the unsubscribe function. */
  subscribe(listener: (state: BrowserAuthState) => void): () => void
  /** Stops the token source and closes the database and channel. */
  close(): void
}

interface Held {
  readonly source: TokenSource
  readonly grantId: string | undefined
  snapshot: TokenSourceSnapshot | undefined
  readonly expiresAt: number | undefined
  readonly unsubscribe: () => void
}

const signedOut = () => new ReauthenticationRequired({ reason: "SignedOut" })

/**
 * Creates the browser adapter. Tokens never reach localStorage, the address bar or a log: the
 * pending login is sealed (AES-GCM) in sessionStorage, credentials live in memory or IndexedDB,
 * and tabs tell each other only that something changed.
 *
 * @see https://www.rfc-editor.org/rfc/rfc7636
 * @see https://www.rfc-editor.org/rfc/rfc9700#section-2.1.1
 * @see https://datatracker.ietf.org/doc/html/draft-ietf-oauth-browser-based-apps
 */
export const createBrowserAuth = <Scope extends string>(options: BrowserAuthOptions<Scope>): BrowserAuth => {
  const env = options.environment ?? {}
  const sessionStorage = env.sessionStorage ?? globalThis.sessionStorage
  const location = env.location ?? globalThis.location
  const history = env.history ?? globalThis.history
  const persist = options.persist ?? "memory"
  if (persist !== "memory" && persist !== "indexeddb") {
    throw new ConfigError({ reason: 'persist must be "memory" or "indexeddb".' })
  }
  const { provider, clientId } = options
  const storeKey = `${provider.tokenEndpoint}#${clientId}`
  const pendingKey = `grantflow:pending:${storeKey}`

  const shared = persist === "indexeddb" ? makeBrowserStore(env) : undefined
  const store: CredentialStoreService = shared ?? Effect.runSync(makeMemory)
  let keyDatabase: Promise<IDBDatabase> | undefined
  const database = () => {
    if (shared !== undefined) return shared.database()
    const factory = env.indexedDB ?? globalThis.indexedDB
    keyDatabase ??= openDatabase(factory, env.name ?? "grantflow")
    return keyDatabase
  }

  const flow = {
    provider,
    clientId,
    scopes: options.scopes,
    renewalMarginMs: options.renewalMarginMs,
    store,
    storeKey,
  }

  const listeners = new Set<(state: BrowserAuthState) => void>()
  let held: Held | undefined
  let closed = false

  const state = (): BrowserAuthState =>
    held === undefined
      ? { authenticated: false, status: "signedOut" }
      : {
          authenticated: true,
          expiresAt: held.snapshot?.expiresAt ?? held.expiresAt,
          status: held.snapshot?.status ?? "valid",
        }
  const notify = () => {
    const now = state()
    for (const listener of listeners) listener(now)
  }

  const drop = (which: Held | undefined = held) => {
    if (which === undefined) return
    which.unsubscribe()
    which.source.stop()
    if (held === which) {
      held = undefined
      notify()
    }
  }

  const hold = (source: TokenSource, credentials: Credentials) => {
    if (closed) return source.stop()
    const previous = held
    const next: Held = {
      source,
      grantId: credentials.grantId,
      snapshot: undefined,
      expiresAt: credentials.expiresAt,
      unsubscribe: source.subscribe((snapshot) => {
        // A grant the server ended (a refused refresh token) is a sign-out, not a stuck tab.
        if (snapshot.status === "reauthenticationRequired") return drop(next)
        next.snapshot = snapshot
        if (held === next) notify()
      }),
    }
    held = next
    if (previous !== undefined) drop(previous)
    notify()
  }

  const resume = (credentials: Credentials, overrides: Partial<Credentials> = {}) =>
    savedCredentials({ ...flow, credentials: { ...credentials, ...overrides } })

  const readStored = () => run(store.get(storeKey)).then(Option.getOrUndefined)

  // Changes of `held` happen one at a time: the first load, callbacks, other tabs' changes.
  let queue: Promise<unknown> = Promise.resolve()
  const serially = <A>(task: () => Promise<A>): Promise<A> => {
    const result = queue.then(task)
    queue = result.catch(() => {})
    return result
  }

  // Another tab logged in, out, or ended the grant: follow it. A renewal of the same grant is
  // adopted by this tab's source when it next needs a token (it re-reads inside the lock).
  const follow = () =>
    serially(async () => {
      const stored = await readStored()
      if (stored === undefined) return drop()
      if (held === undefined || held.grantId !== stored.grantId) hold(resume(stored), stored)
    })

  const loaded = shared === undefined ? Promise.resolve() : follow().catch(() => {})
  const unfollow = shared?.subscribe((change) => {
    if (change.key === storeKey) void follow().catch(() => {})
  })

  let redirect: Promise<{ readonly returnTo: string }> | undefined

  const completeRedirect = async (entry: string | null, callbackUrl: string) => {
    await loaded
    if (entry === null) throw new InvalidPendingLogin({ reason: "Missing" })
    const { sealed, returnTo } = readPendingEntry(entry)
    const pending = await authorizationCode.unseal(sealed, await sealingKey(await database()))
    const source = await authorizationCode.complete({ ...flow, pending, callbackUrl })
    const credentials = await source.getCredentials()
    await serially(async () => hold(source, credentials))
    return { returnTo }
  }

  return {
    ready: () => loaded,
    login: async (login = {}) => {
      const returnTo = login.returnTo ?? "/"
      if (!isSafeReturnTo(returnTo)) {
        throw new ConfigError({ reason: "returnTo must be a path on this origin, such as /account." })
      }
      const { url, pending } = await authorizationCode.begin({
        provider,
        clientId,
        redirectUri: options.redirectUri,
        scopes: options.scopes,
        params: options.params,
      })
      const sealed = await authorizationCode.seal(pending, await sealingKey(await database()))
      sessionStorage.setItem(pendingKey, JSON.stringify({ sealed, returnTo }))
      location.assign(url)
    },
    handleRedirect: () => {
      if (redirect === undefined) {
        // Taken and cleared before anything awaits: a second call, a reload or a replayed
        // callback finds no pending login and no code to redeem again.
        const entry = sessionStorage.getItem(pendingKey)
        sessionStorage.removeItem(pendingKey)
        const callbackUrl = location.href
        const clean = new URL(callbackUrl)
        for (const name of ["code", "state", "iss", "error", "error_description", "error_uri"]) {
          clean.searchParams.delete(name)
        }
        history.replaceState(history.state, "", clean.href)
        redirect = completeRedirect(entry, callbackUrl)
      }
      return redirect
    },
    isAuthenticated: () => held !== undefined,
    getAccessToken: async () => {
      await loaded
      if (held === undefined) throw signedOut()
      return held.source.getAccessToken()
    },
    fetch: async (input, init) => {
      await loaded
      if (held === undefined) throw signedOut()
      return held.source.fetch(input, init)
    },
    refresh: async () => {
      await loaded
      const current = held
      if (current === undefined) throw signedOut()
      // The grant's newest saved credentials (the store has them in both modes), read without
      // renewing, then marked due: the renewal re-reads the store inside the lock and adopts what
      // another tab saved meanwhile instead of renewing twice.
      const stored = await readStored()
      if (stored === undefined || stored.grantId !== current.grantId) throw signedOut()
      const due = resume(stored, { expiresAt: Math.min(stored.expiresAt ?? 0, Date.now()) })
      const renewed = await due.getCredentials().catch((error: unknown) => {
        due.stop()
        throw error
      })
      await serially(async () => {
        if (held === current) hold(due, renewed)
        else due.stop()
      })
    },
    logout: async () => {
      await loaded
      const current = held
      if (current === undefined) return run(store.remove(storeKey))
      // Revocation forgets the stored grant whatever the server answers; other tabs follow.
      await current.source.revoke().finally(() => serially(async () => drop(current)))
    },
    state,
    subscribe: (listener) => {
      listeners.add(listener)
      return () => void listeners.delete(listener)
    },
    close: () => {
      closed = true
      drop()
      unfollow?.()
      shared?.close()
    },
  }
}
