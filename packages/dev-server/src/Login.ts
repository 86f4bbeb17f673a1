export interface CompleteLoginOptions {
  /** The user to sign in as; any name works. Default `demo-user`. */
  readonly username?: string
  /** What to answer on the consent page. Default `allow`; `deny` makes the server redirect with `error=access_denied`. */
  readonly consent?: "allow" | "deny"
  /**
   * Stop at the first redirect to this URI (compared without query). Default: the
   * authorization URL's `redirect_uri` parameter.
   */
  readonly redirectUri?: string
  /** Give up after this many requests. Default 20. */
  readonly maxSteps?: number
}

interface Cookie {
  readonly origin: string
  readonly name: string
  readonly path: string
  readonly value: string
}

/** The smallest cookie jar the dev server needs: host-only cookies, path matching, deletion. */
class CookieJar {
  readonly #cookies = new Map<string, Cookie>()

  store(url: URL, setCookies: readonly string[]) {
    for (const line of setCookies) {
      const [pair = "", ...attributes] = line.split(";")
      const eq = pair.indexOf("=")
      if (eq <= 0) continue
      const name = pair.slice(0, eq).trim()
      const value = pair.slice(eq + 1).trim()
      let path = url.pathname.slice(0, url.pathname.lastIndexOf("/")) || "/"
      let expired = value === ""
      for (const attribute of attributes) {
        const [key = "", ...rest] = attribute.split("=")
        const attributeValue = rest.join("=").trim()
        switch (key.trim().toLowerCase()) {
          case "path":
            if (attributeValue.startsWith("/")) path = attributeValue
            break
          case "max-age":
            if (Number(attributeValue) <= 0) expired = true
            break
          case "expires":
            if (Date.parse(attributeValue) <= Date.now()) expired = true
            break
        }
      }
      const key = `${url.origin} ${path} ${name}`
      if (expired) this.#cookies.delete(key)
      else this.#cookies.set(key, { origin: url.origin, name, path, value })
    }
  }

  header(url: URL): string | undefined {
    const matching = [...this.#cookies.values()].filter(
      (c) =>
        c.origin === url.origin &&
        (url.pathname === c.path || url.pathname.startsWith(c.path.endsWith("/") ? c.path : `${c.path}/`)),
    )
    // Longer paths first, as RFC 6265 §5.4 orders them.
    matching.sort((a, b) => b.path.length - a.path.length)
    return matching.length === 0 ? undefined : matching.map((c) => `${c.name}=${c.value}`).join("; ")
  }
}

const attribute = (tag: string, name: string): string | undefined => {
  const match = new RegExp(`\\s${name}="([^"]*)"`, "i").exec(tag)
  return match?.[1]
    ?.replace(/&quot;/g, '"')
    .replace(/&#39;/g, "'")
    .replace(/&lt;/g, "<")
    .replace(/&gt;/g, ">")
    .replace(/&amp;/g, "&")
}

const findForm = (page: string, kind: "login" | "consent"): string | undefined => {
  const tag = new RegExp(`<form[^>]*data-grantflow="${kind}"[^>]*>`, "i").exec(page)?.[0]
  return tag === undefined ? undefined : attribute(tag, "action")
}

const withoutQuery = (url: URL) => `${url.origin}${url.pathname}`

const excerpt = (page: string) =>
  page
    .replace(/<style[\s\S]*?<\/style>/gi, "")
    .replace(/<[^>]+>/g, " ")
    .replace(/\s+/g, " ")
    .trim()
    .slice(0, 300)

/**
 * Drives the dev server's real login and consent pages without a browser: follows redirects
 * by hand (`redirect: "manual"`) with a cookie jar, posts the login form as `username` and
 * answers the consent form, and stops at the first redirect to the client's redirect URI.
 *
 * @returns the callback URL, with `code`, `state` and `iss` (or `error`) in its query.
 */
export const completeLogin = async (
  authorizationUrl: string | URL,
  options: CompleteLoginOptions = {},
): Promise<string> => {
  let url = new URL(authorizationUrl)
  const redirectParameter = options.redirectUri ?? url.searchParams.get("redirect_uri")
  if (redirectParameter === null)
    throw new TypeError("completeLogin: the authorization URL has no redirect_uri; pass options.redirectUri")
  const redirectUri = withoutQuery(new URL(redirectParameter))
  const jar = new CookieJar()
  let request: { method: "GET" } | { method: "POST"; body: URLSearchParams } = { method: "GET" }
  const maxSteps = options.maxSteps ?? 20

  for (let step = 0; step < maxSteps; step++) {
    if (withoutQuery(url) === redirectUri) return url.href
    const headers: Record<string, string> = { accept: "text/html" }
    const cookie = jar.header(url)
    if (cookie !== undefined) headers.cookie = cookie
    const response = await fetch(url, {
      redirect: "manual",
      headers,
      ...(request.method === "POST" ? { method: "POST", body: request.body } : { method: "GET" }),
    })
    jar.store(url, response.headers.getSetCookie())

    const location = response.headers.get("location")
    if (response.status >= 300 && response.status < 400 && location !== null) {
      await response.body?.cancel()
      url = new URL(location, url)
      request = { method: "GET" }
      continue
    }

    const page = await response.text()
    if (response.status !== 200) {
      throw new Error(
        `completeLogin: ${request.method} ${withoutQuery(url)} answered ${response.status}: ${excerpt(page)}`,
      )
    }
    const login = findForm(page, "login")
    const consent = findForm(page, "consent")
    if (login !== undefined) {
      url = new URL(login, url)
      request = { method: "POST", body: new URLSearchParams({ username: options.username ?? "demo-user" }) }
    } else if (consent !== undefined) {
      url = new URL(consent, url)
      request = { method: "POST", body: new URLSearchParams({ decision: options.consent ?? "allow" }) }
    } else {
      throw new Error(
        `completeLogin: ${withoutQuery(url)} is neither a login nor a consent page: ${excerpt(page)}`,
      )
    }
  }
  throw new Error(`completeLogin: no redirect to ${redirectUri} after ${maxSteps} requests`)
}
