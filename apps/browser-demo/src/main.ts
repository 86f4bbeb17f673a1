/**
 * The browser demo: a PKCE login against the local dev-server through @grantflow/browser, the
 * user from `/v1/me`, the token's expiry, "refresh now" and logout. Tokens are never shown: the
 * page shows a fingerprint (the first hex digits of SHA-256) so tabs can be compared.
 */
import { createBrowserAuth } from "@grantflow/browser"
import { defineProvider } from "@grantflow/core/Provider"
import * as Schema from "effect/Schema"
import "./style.css"

const issuer = import.meta.env.VITE_GRANTFLOW_ISSUER ?? "http://127.0.0.1:4000"

const auth = createBrowserAuth({
  provider: defineProvider({
    authorizationEndpoint: `${issuer}/auth`,
    tokenEndpoint: `${issuer}/token`,
    revocationEndpoint: `${issuer}/token/revocation`,
    issuer,
    authorizationResponseIssParameterSupported: true,
  }),
  clientId: "grantflow-spa",
  redirectUri: `${location.origin}/callback`,
  scopes: ["user-read-private", "user-read-email"],
  persist: "indexeddb",
})

/** The dev-server's Spotify-shaped profile, decoded before use. */
const Me = Schema.Struct({
  id: Schema.String,
  display_name: Schema.String,
  email: Schema.optional(Schema.String),
})
const decodeMe = Schema.decodeUnknownPromise(Me)

const app = document.querySelector<HTMLElement>("#app")!

type Child = Node | string
const h = <K extends keyof HTMLElementTagNameMap>(
  tag: K,
  props: Partial<HTMLElementTagNameMap[K]> & { testId?: string } = {},
  ...children: Child[]
): HTMLElementTagNameMap[K] => {
  const { testId, ...rest } = props
  const element = Object.assign(document.createElement(tag), rest)
  if (testId !== undefined) element.dataset.testid = testId
  element.append(...children)
  return element
}

const show = (...cards: HTMLElement[]) => app.replaceChildren(...cards)

const fingerprint = async (token: string) => {
  const digest = await crypto.subtle.digest("SHA-256", new TextEncoder().encode(token))
  return [...new Uint8Array(digest).slice(0, 4)].map((byte) => byte.toString(16).padStart(2, "0")).join("")
}

const messageOf = (error: unknown) => (error instanceof Error ? error.message : String(error))

const errorCard = (title: string, error: unknown) =>
  h(
    "section",
    { className: "card error", testId: "error" },
    h("h2", {}, title),
    h("p", {}, messageOf(error)),
    h("div", { className: "actions" }, loginButton()),
  )

const loginButton = () =>
  h("button", {
    className: "primary",
    textContent: "Log in with the dev server",
    onclick: () =>
      void auth.login({ returnTo: "/" }).catch((error) => show(errorCard("Login failed", error))),
    testId: "login",
  })

const signedOut = () =>
  show(
    h(
      "section",
      { className: "card", testId: "signed-out" },
      h("h2", {}, "You are signed out"),
      h(
        "p",
        {},
        "Log in with PKCE: no client secret, the pending login sealed in this tab, tokens in IndexedDB (never localStorage), one renewal across all tabs.",
      ),
      h("div", { className: "actions" }, loginButton()),
    ),
  )

// What the signed-in page shows; updated in place by the countdown and by actions.
const view = {
  name: h("dd", { testId: "user-name" }),
  email: h("dd", { testId: "user-email" }),
  countdown: h("div", { className: "countdown", testId: "expires-in" }),
  status: h("dd", { testId: "status" }),
  fingerprint: h("dd", { testId: "token" }),
  note: h("p", { className: "note", testId: "note" }),
}

const busy = async (button: HTMLButtonElement, action: () => Promise<void>) => {
  button.disabled = true
  try {
    await action()
  } catch (error) {
    view.note.textContent = messageOf(error)
  } finally {
    button.disabled = false
  }
}

const loadProfile = async () => {
  const response = await auth.fetch(`${issuer}/v1/me`)
  if (!response.ok) throw new Error(`/v1/me answered ${response.status}`)
  const me = await decodeMe(await response.json())
  view.name.textContent = me.display_name
  view.email.textContent = me.email ?? "(no email scope)"
  view.fingerprint.textContent = await fingerprint(await auth.getAccessToken())
}

const tick = () => {
  const { expiresAt, status } = auth.state()
  view.status.textContent = status
  if (expiresAt === undefined) {
    view.countdown.textContent = "no expiry"
    return
  }
  const seconds = Math.max(0, Math.ceil((expiresAt - Date.now()) / 1000))
  view.countdown.textContent = `${seconds} s`
  view.countdown.classList.toggle("due", seconds === 0)
}

const signedIn = async () => {
  const refresh = h("button", { className: "primary", textContent: "Refresh now", testId: "refresh" })
  refresh.onclick = () =>
    busy(refresh, async () => {
      await auth.refresh()
      view.fingerprint.textContent = await fingerprint(await auth.getAccessToken())
      view.note.textContent = "Renewed (or adopted another tab's renewal)."
    })
  const call = h("button", { textContent: "Call /v1/me", testId: "call-api" })
  call.onclick = () =>
    busy(call, async () => {
      await loadProfile()
      view.note.textContent = "Called /v1/me with the current token."
    })
  const logout = h("button", { textContent: "Log out", testId: "logout" })
  logout.onclick = () => busy(logout, () => auth.logout())
  show(
    h(
      "section",
      { className: "card" },
      h("h2", {}, "Signed in"),
      h("dl", {}, h("dt", {}, "User"), view.name, h("dt", {}, "Email"), view.email),
    ),
    h(
      "section",
      { className: "card" },
      h("h2", {}, "Access token"),
      view.countdown,
      h("dl", {}, h("dt", {}, "State"), view.status, h("dt", {}, "Fingerprint"), view.fingerprint),
      h("div", { className: "actions" }, refresh, call, logout),
      view.note,
    ),
  )
  tick()
  await loadProfile().catch((error) => (view.note.textContent = messageOf(error)))
}

const render = () => (auth.isAuthenticated() ? signedIn() : signedOut())

const start = async () => {
  if (location.pathname === "/callback") {
    show(h("section", { className: "card" }, h("h2", {}, "Completing sign-in…")))
    try {
      // Called twice on purpose, as React StrictMode does in development: one code redemption.
      const [{ returnTo }] = await Promise.all([auth.handleRedirect(), auth.handleRedirect()])
      history.replaceState(null, "", returnTo)
    } catch (error) {
      history.replaceState(null, "", "/")
      return show(errorCard("Sign-in could not be completed", error))
    }
  }
  await auth.ready()
  let authenticated = auth.isAuthenticated()
  // Another tab logged in or out, or the server ended the grant: follow it.
  auth.subscribe((state) => {
    if (state.authenticated !== authenticated) {
      authenticated = state.authenticated
      void render()
    } else tick()
  })
  setInterval(tick, 250)
  await render()
}

void start()
