/**
 * grantflow for Express: `auth()` mounts a server login (authorization code with PKCE) and gives
 * every request `req.grantflow`, with one token source per signed-in user.
 *
 * @module
 */
export {
  type AuthOptions,
  type AuthRoutes,
  auth,
  authErrorHandler,
  type GrantflowRequestContext,
  requiresAuth,
  type SessionInfo,
} from "./Auth.js"
export { NotAuthenticated } from "./Errors.js"
export { type MemorySessionStoreOptions, memorySessionStore } from "./SessionStore.js"
