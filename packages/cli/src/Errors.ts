/**
 * The CLI's own failures; every OAuth failure is the core's.
 *
 * @module
 */
import * as Data from "effect/Data"

/**
 * The browser never came back to the loopback listener (nor was a URL pasted) in time. Nothing
 * was granted; the listener is closed.
 *
 * @see https://www.rfc-editor.org/rfc/rfc8252#section-7.3
 */
export class LoginTimedOut extends Data.TaggedError("LoginTimedOut")<{ readonly timeoutMs: number }> {
  override get message(): string {
    return `No answer from the browser within ${Math.round(this.timeoutMs / 1000)} s. Run the login again; on a machine without a browser use --device or --no-browser.`
  }
}
