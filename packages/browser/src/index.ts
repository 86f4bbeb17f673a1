/**
 * grantflow in the browser: `createBrowserAuth` for a single-page app's PKCE login, and the
 * IndexedDB + Web Locks credential store it renews through.
 *
 * @module
 */
export {
  type BrowserAuth,
  type BrowserAuthOptions,
  type BrowserAuthState,
  type BrowserEnvironment,
  createBrowserAuth,
  type Persistence,
} from "./BrowserAuth.js"
export {
  type BrowserStore,
  type BrowserStoreOptions,
  lockName,
  makeBrowserStore,
  type StoreChange,
} from "./BrowserStore.js"
