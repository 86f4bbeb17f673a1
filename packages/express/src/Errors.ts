/**
 * The adapter's own failure: a request that needs a signed-in user has none.
 *
 * @module
 */
import * as Data from "effect/Data"

/**
 * `req.grantflow.getAccessToken()` (or `fetch()`) was called on a request without a signed-in
 * user. `requiresAuth()` in front of the route avoids it; `authErrorHandler()` turns it into a
 * login redirect (HTML) or a 401 (JSON).
 *
 * @see https://www.rfc-editor.org/rfc/rfc6750#section-3.1
 */
export class NotAuthenticated extends Data.TaggedError("NotAuthenticated")<{}> {
  override get message(): string {
    return "No user is signed in on this request: put requiresAuth() in front of the route, or send the user to the login."
  }
}
