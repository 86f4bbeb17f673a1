import { defineProvider } from "@grantflow/core"
import {
  type CompleteLoginOptions,
  completeLogin,
  type DevServer,
  startDevServer,
} from "@grantflow/dev-server"
import { IDBFactory } from "fake-indexeddb"
import { fetch as nodeFetch } from "undici"
import {
  type BrowserAuth,
  type BrowserEnvironment,
  createBrowserAuth,
  type Persistence,
} from "../../src/index.js"
import { makeLockManager } from "./locks.js"

export const origin = "http://127.0.0.1:5173"
export const redirectUri = `${origin}/callback`

/** The dev-server with the test page's origin registered, and a provider for it. */
export const startServer = async (accessTokenTtl = 3600) => {
  const server = await startDevServer({ accessTokenTtl, spaOrigins: [origin] })
  return { server, provider: providerOf(server) }
}

export const providerOf = (server: DevServer) =>
  defineProvider({
    authorizationEndpoint: `${server.issuer}/auth`,
    tokenEndpoint: `${server.issuer}/token`,
    revocationEndpoint: `${server.issuer}/token/revocation`,
    issuer: server.issuer,
    authorizationResponseIssParameterSupported: true,
  })

/**
 * One origin's browser state shared by its "tabs" (IndexedDB, locks, the channel name) and
 * one tab's sessionStorage; each `open()` is a new document of that tab (a reload, a callback).
 */
export const makeBrowser = (server: DevServer, persist: Persistence = "indexeddb") => {
  const indexedDB = new IDBFactory()
  const locks = makeLockManager()
  const name = `grantflow-test-${Math.random()}`
  const opened: BrowserAuth[] = []
  const provider = providerOf(server)
  const open = (tab: { sessionStorage: Storage; navigations: string[] }): BrowserAuth => {
    const environment: BrowserEnvironment = {
      name,
      indexedDB,
      locks,
      sessionStorage: tab.sessionStorage,
      location: {
        get href() {
          return window.location.href
        },
        assign: (url: string | URL) => void tab.navigations.push(String(url)),
      },
    }
    const auth = createBrowserAuth({
      provider,
      clientId: server.clients.spa.clientId,
      redirectUri,
      scopes: ["user-read-email"],
      persist,
      environment,
    })
    opened.push(auth)
    return auth
  }
  const closeAll = () => {
    for (const auth of opened) auth.close()
  }
  return { open, closeAll, name }
}

/** A tab: its own sessionStorage, and the URLs its pages navigated to. */
export const makeTab = () => ({ sessionStorage: makeStorage(), navigations: [] as string[] })

const makeStorage = (): Storage => {
  const items = new Map<string, string>()
  return {
    get length() {
      return items.size
    },
    clear: () => items.clear(),
    getItem: (key) => items.get(key) ?? null,
    key: (index) => [...items.keys()][index] ?? null,
    removeItem: (key) => void items.delete(key),
    setItem: (key, value) => void items.set(key, String(value)),
  }
}

/** The URL the browser would show after the login pages: the server's redirect to the callback. */
export const sendToCallback = (callbackUrl: string) => window.history.replaceState(null, "", callbackUrl)

/**
 * The user's trip through the server's login and consent pages. That is top-level navigation,
 * not a script's fetch, so it runs on Node's fetch instead of the DOM's (which enforces CORS).
 */
export const signIn = async (authorizationUrl: string, options?: CompleteLoginOptions): Promise<string> => {
  const domFetch = globalThis.fetch
  globalThis.fetch = nodeFetch as unknown as typeof globalThis.fetch
  try {
    return await completeLogin(authorizationUrl, options)
  } finally {
    globalThis.fetch = domFetch
  }
}
export type { BrowserAuth }
