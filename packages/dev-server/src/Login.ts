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

type Step = { readonly method: "GET" } | { readonly method: "POST"; readonly body: URLSearchParams }

// The hidden inputs of oidc-provider's device forms (its CSRF token, the user code).
const hiddenInputs = (page: string, formId: string): URLSearchParams | undefined => {
  const form = new RegExp(`<form[^>]*id="${formId}"[^>]*>([\\s\\S]*?)</form>`, "i").exec(page)
  if (form === null) return undefined
  const params = new URLSearchParams()
  for (const input of form[1]!.match(/<input[^>]*>/gi) ?? []) {
    const name = attribute(input, "name")
    const value = attribute(input, "value")
    if (name !== undefined && value !== undefined && /type="hidden"/i.test(input)) params.set(name, value)
  }
  return params
}

const formAction = (page: string, formId: string): string | undefined => {
  const tag = new RegExp(`<form[^>]*id="${formId}"[^>]*>`, "i").exec(page)?.[0]
  return tag === undefined ? undefined : attribute(tag, "action")
}

/**
 * Walks the dev server's pages like a browser without one: follows redirects by hand with a
 * cookie jar, and lets `answer` fill in each page; it returns the URL to post to and the form,
 * or a result to stop with. `stopAt` ends the walk at a redirect to that URI (compared without query).
 */
const walk = async <A>(
  start: URL,
  maxSteps: number,
  stopAt: string | undefined,
  answer: (
    page: string,
    url: URL,
  ) => { readonly post: URL; readonly body: URLSearchParams } | { readonly result: A },
): Promise<A | string> => {
  let url = start
  const jar = new CookieJar()
  let request: Step = { method: "GET" }
  for (let step = 0; step < maxSteps; step++) {
    if (stopAt !== undefined && withoutQuery(url) === stopAt) return url.href
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
      throw new Error(`${request.method} ${withoutQuery(url)} answered ${response.status}: ${excerpt(page)}`)
    }
    const next = answer(page, url)
    if ("result" in next) return next.result
    url = next.post
    request = { method: "POST", body: next.body }
  }
  throw new Error(`no end after ${maxSteps} requests`)
}

/** Answers the login and consent pages; undefined for any other page. */
const answerSignIn = (page: string, url: URL, options: CompleteLoginOptions) => {
  const login = findForm(page, "login")
  if (login !== undefined) {
    return {
      post: new URL(login, url),
      body: new URLSearchParams({ username: options.username ?? "demo-user" }),
    }
  }
  const consent = findForm(page, "consent")
  if (consent !== undefined) {
    return {
      post: new URL(consent, url),
      body: new URLSearchParams({ decision: options.consent ?? "allow" }),
    }
  }
  return undefined
}

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
  const url = new URL(authorizationUrl)
  const redirectParameter = options.redirectUri ?? url.searchParams.get("redirect_uri")
  if (redirectParameter === null)
    throw new TypeError("completeLogin: the authorization URL has no redirect_uri; pass options.redirectUri")
  const redirectUri = withoutQuery(new URL(redirectParameter))
  try {
    return await walk<never>(url, options.maxSteps ?? 20, redirectUri, (page, at) => {
      const next = answerSignIn(page, at, options)
      if (next === undefined) {
        throw new Error(`${withoutQuery(at)} is neither a login nor a consent page: ${excerpt(page)}`)
      }
      return next
    })
  } catch (error) {
    throw new Error(`completeLogin: ${error instanceof Error ? error.message : String(error)}`)
  }
}

/** Options of {@link approveDeviceCode}: the sign-in's, plus the answer on the device confirmation page. */
export interface ApproveDeviceCodeOptions extends Omit<CompleteLoginOptions, "redirectUri"> {
  /** `abort` refuses on the device confirmation page, before signing in. Default `continue`. */
  readonly confirm?: "continue" | "abort"
}

/**
 * Plays the user of a device login (RFC 8628 §3.3) without a browser: opens the verification
 * page, types the user code, confirms the device, signs in and answers the consent page.
 *
 * @returns `approved` once the server has granted the device code, `denied` when the consent or
 * the confirmation was refused. Throws when the server refuses the user code.
 */
export const approveDeviceCode = async (
  verificationUri: string | URL,
  userCode: string,
  options: ApproveDeviceCodeOptions = {},
): Promise<"approved" | "denied"> => {
  try {
    const outcome = await walk<"approved" | "denied">(
      new URL(verificationUri),
      options.maxSteps ?? 20,
      undefined,
      (page, url) => {
        if (page.includes('data-grantflow="device-done"')) return { result: "approved" }
        if (page.includes('data-grantflow="device-error"')) throw new Error("the user code was refused")
        if (page.includes('data-grantflow="device-denied"')) return { result: "denied" }
        const signIn = answerSignIn(page, url, options)
        if (signIn !== undefined) return signIn
        for (const formId of ["op.deviceConfirmForm", "op.deviceInputForm"]) {
          const action = formAction(page, formId)
          const body = hiddenInputs(page, formId)
          if (action === undefined || body === undefined) continue
          if (formId === "op.deviceInputForm") body.set("user_code", userCode)
          else if (options.confirm === "abort") {
            body.delete("confirm")
            body.set("abort", "yes")
          }
          return { post: new URL(action, url), body }
        }
        throw new Error(`${withoutQuery(url)} is not a device, login or consent page: ${excerpt(page)}`)
      },
    )
    return outcome === "approved" ? "approved" : "denied"
  } catch (error) {
    throw new Error(`approveDeviceCode: ${error instanceof Error ? error.message : String(error)}`)
  }
}
