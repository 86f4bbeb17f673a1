/**
 * A login from a terminal through the system browser: a listener on the loopback interface takes
 * the authorization response (RFC 8252 §7.3), PKCE protects the code, and the listener lives only
 * for the login.
 *
 * @module
 */
import { createServer, type IncomingMessage, type ServerResponse } from "node:http"
import type { AddressInfo } from "node:net"
import {
  authorizationCode,
  type PlatformOptions,
  type ProviderFlowOptions,
  type TokenSource,
} from "@grantflow/core"
import { LoginTimedOut } from "./Errors.js"
import { openBrowser as openSystemBrowser } from "./internal/openBrowser.js"
import { failurePage, successPage } from "./internal/pages.js"

/** What {@link loopbackLogin} takes, besides the flow's own options. */
export interface LoopbackLoginOptions<Scope extends string>
  extends ProviderFlowOptions<Scope>,
    PlatformOptions {
  /**
   * The listener's port on 127.0.0.1: 0 (the default) lets the system choose, which servers that
   * follow RFC 8252 §7.3 accept; a fixed one for providers that match the registered port (Spotify).
   */
  readonly port?: number | undefined
  /**
   * `true` (the default) opens the system browser; `false` only hands the URL to `onUrl`; a
   * function opens it some other way (a test's headless browser).
   */
  readonly openBrowser?: boolean | ((url: string) => unknown) | undefined
  /** Shown the authorization URL, whether or not a browser was opened (to print it). */
  readonly onUrl?: ((url: string) => void) | undefined
  /**
   * The paste fallback for SSH and headless machines: resolves with the URL the browser was sent
   * back to, copied by the user from another machine's address bar.
   */
  readonly pastedCallback?: Promise<string> | undefined
  /** How long to wait for the browser. Default 5 minutes. */
  readonly timeoutMs?: number | undefined
  /** Extra authorization request parameters (`show_dialog`, `prompt`). */
  readonly params?: Readonly<Record<string, string | number | boolean>> | undefined
}

const defaultTimeoutMs = 5 * 60_000

/** Never `localhost`: it may resolve to ::1 or be refused by providers (Spotify) as a redirect host. */
const loopbackHost = "127.0.0.1"
const callbackPath = "/callback"

const listen = (port: number) =>
  new Promise<ReturnType<typeof createServer>>((resolve, reject) => {
    const server = createServer()
    server.once("error", reject)
    server.listen(port, loopbackHost, () => {
      server.off("error", reject)
      resolve(server)
    })
  })

const answer = (res: ServerResponse, status: number, body: string) => {
  res.writeHead(status, {
    "content-type": "text/html; charset=utf-8",
    "cache-control": "no-store",
    // The page is ours alone: no framing, no referrer carrying the code elsewhere.
    "referrer-policy": "no-referrer",
    "x-frame-options": "DENY",
  })
  res.end(body)
}

/**
 * Logs a user in through the system browser and a loopback redirect: opens the authorization
 * URL (PKCE always, `state` checked by the core), waits for the callback on
 * `http://127.0.0.1:<port>/callback` (other paths get 404), answers the browser with a page
 * saying whether to close the tab, and always closes the listener, on success, failure or
 * timeout (`LoginTimedOut`).
 *
 * @example
 * ```ts
 * const source = await loopbackLogin({ provider: providers.spotify, clientId, scopes: ["user-read-email"], port: 8888 })
 * ```
 * @see https://www.rfc-editor.org/rfc/rfc8252#section-7.3
 */
export const loopbackLogin = async <Scope extends string>(
  options: LoopbackLoginOptions<Scope>,
): Promise<TokenSource> => {
  const server = await listen(options.port ?? 0)
  const redirectUri = `http://${loopbackHost}:${(server.address() as AddressInfo).port}${callbackPath}`
  let timer: ReturnType<typeof setTimeout> | undefined
  try {
    const { url, pending } = await authorizationCode.begin({
      provider: options.provider,
      clientId: options.clientId,
      redirectUri,
      scopes: options.scopes,
      pkce: true,
      params: options.params,
    })
    let completing: Promise<TokenSource> | undefined
    const complete = (callbackUrl: string) => {
      // The first callback is the only one exchanged; a second (a reload) gets the same outcome.
      completing ??= authorizationCode.complete({ ...options, pending, callbackUrl })
      return completing
    }
    const fromBrowser = new Promise<TokenSource>((resolve, reject) => {
      server.on("request", (req: IncomingMessage, res: ServerResponse) => {
        const requested = new URL(req.url ?? "/", redirectUri)
        if (req.method !== "GET" || requested.pathname !== callbackPath) {
          answer(res, 404, failurePage("This address only takes the sign-in callback."))
          return
        }
        complete(requested.href).then(
          (source) => {
            answer(res, 200, successPage())
            resolve(source)
          },
          (error: unknown) => {
            answer(res, 400, failurePage(error instanceof Error ? error.message : "The sign-in failed."))
            reject(error)
          },
        )
      })
    })
    const timeoutMs = options.timeoutMs ?? defaultTimeoutMs
    const timedOut = new Promise<never>((_, reject) => {
      timer = setTimeout(() => reject(new LoginTimedOut({ timeoutMs })), timeoutMs)
    })
    const pasted = options.pastedCallback?.then((pastedUrl) => complete(pastedUrl.trim()))
    options.onUrl?.(url)
    const open = options.openBrowser ?? true
    if (open === true) void openSystemBrowser(url)
    else if (typeof open === "function") void Promise.resolve(open(url)).catch(() => {})
    return await Promise.race([fromBrowser, timedOut, ...(pasted === undefined ? [] : [pasted])])
  } finally {
    clearTimeout(timer)
    server.close()
    server.closeAllConnections()
  }
}
