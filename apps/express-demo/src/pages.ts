/** The demo's HTML: one small stylesheet, no framework, readable on a phone. */

export const escapeHtml = (text: string): string =>
  text.replace(
    /[&<>"']/g,
    (c) => ({ "&": "&amp;", "<": "&lt;", ">": "&gt;", '"': "&quot;", "'": "&#39;" })[c] ?? c,
  )

const style = `
  :root { color-scheme: light; --ink: #1d2330; --muted: #5b6475; --accent: #1d5bd8; --card: #fff; --bg: #f3f5f8; }
  * { box-sizing: border-box; }
  body { font: 16px/1.5 system-ui, -apple-system, "Segoe UI", sans-serif; margin: 0; background: var(--bg); color: var(--ink); }
  header { background: var(--ink); color: #fff; padding: 1rem; }
  header h1 { margin: 0 auto; max-width: 40rem; font-size: 1.15rem; }
  main { max-width: 40rem; margin: 0 auto; padding: 1rem; display: grid; gap: 1rem; }
  section { background: var(--card); border-radius: 12px; padding: 1.25rem; box-shadow: 0 1px 3px #0002; }
  h2 { margin: 0 0 .5rem; font-size: 1.05rem; }
  dl { display: grid; grid-template-columns: max-content 1fr; gap: .35rem 1rem; margin: 0; }
  dt { color: var(--muted); }
  dd { margin: 0; overflow-wrap: anywhere; }
  .scopes { display: flex; flex-wrap: wrap; gap: .35rem; }
  .scope { background: #e8effc; color: #183f8f; border-radius: 999px; padding: 0 .6rem; font-size: .85rem; }
  .actions { display: flex; gap: .6rem; flex-wrap: wrap; margin-top: 1rem; }
  .button, button { font: inherit; padding: .55rem 1.1rem; border-radius: 8px; border: 0; background: var(--accent); color: #fff; text-decoration: none; cursor: pointer; display: inline-block; }
  .secondary { background: #e6e9ef; color: var(--ink); }
  form { margin: 0; }
  .muted { color: var(--muted); font-size: .9rem; }
  .error { color: #a4281c; }
`

export const layout = (title: string, body: string): string => `<!doctype html>
<html lang="en">
<head>
<meta charset="utf-8">
<meta name="viewport" content="width=device-width, initial-scale=1">
<title>${escapeHtml(title)}</title>
<style>${style}</style>
</head>
<body>
<header><h1>grantflow · Express demo</h1></header>
<main>${body}</main>
<script>
  // Live countdown to the access token's expiry; the server renders the time, the page counts.
  for (const el of document.querySelectorAll("[data-expires-at]")) {
    const at = Number(el.dataset.expiresAt)
    const tick = () => {
      const s = Math.max(0, Math.round((at - Date.now()) / 1000))
      el.textContent = s === 0 ? "expired: renewed on the next request" : "in " + Math.floor(s / 60) + " min " + (s % 60) + " s"
    }
    tick()
    setInterval(tick, 1000)
  }
</script>
</body>
</html>`

export interface HomeView {
  readonly provider: string
  readonly user?:
    | {
        readonly name: string
        readonly email?: string | undefined
        readonly scopes: ReadonlyArray<string>
        readonly expiresAt?: number | undefined
        readonly refreshedAt?: number | undefined
        readonly revision: number
      }
    | undefined
  readonly appOnly: { readonly markets?: ReadonlyArray<string>; readonly error?: string }
}

const time = (ms: number) =>
  new Date(ms)
    .toISOString()
    .replace("T", " ")
    .replace(/\.\d+Z$/, " UTC")

const appOnlyPanel = (appOnly: HomeView["appOnly"]) => `<section id="app-only">
<h2>App-only data (client credentials)</h2>
<p class="muted">Fetched with the app's own token, no user involved: the core's <code>clientCredentials</code>.</p>
${
  appOnly.error !== undefined
    ? `<p class="error">${escapeHtml(appOnly.error)}</p>`
    : `<p>Markets: ${escapeHtml((appOnly.markets ?? []).slice(0, 12).join(", "))}</p>`
}
</section>`

export const homePage = (view: HomeView): string => {
  const user = view.user
  if (user === undefined) {
    return layout(
      "grantflow Express demo",
      `<section>
<h2>Welcome</h2>
<p>Log in with ${escapeHtml(view.provider)} to see your profile. Your tokens stay on the server; this browser only holds a session id.</p>
<div class="actions"><a class="button" id="login" href="/login?returnTo=%2F">Log in</a></div>
</section>
${appOnlyPanel(view.appOnly)}`,
    )
  }
  return layout(
    `${user.name} · grantflow Express demo`,
    `<section id="profile">
<h2>Signed in as <span id="user-name">${escapeHtml(user.name)}</span></h2>
<dl>
${user.email === undefined ? "" : `<dt>Email</dt><dd>${escapeHtml(user.email)}</dd>`}
<dt>Scopes</dt><dd class="scopes">${user.scopes.map((s) => `<span class="scope">${escapeHtml(s)}</span>`).join("")}</dd>
<dt>Token expires</dt><dd>${
      user.expiresAt === undefined
        ? "never said"
        : `<span id="expires-in" data-expires-at="${user.expiresAt}"></span> <span class="muted">(${time(user.expiresAt)})</span>`
    }</dd>
<dt>Last refreshed</dt><dd id="refreshed">${
      user.refreshedAt === undefined ? "not since you logged in" : time(user.refreshedAt)
    } <span class="muted">(renewals: <span id="revision">${user.revision}</span>)</span></dd>
</dl>
<div class="actions">
<form method="post" action="/refresh"><button type="submit" id="refresh">Refresh now</button></form>
<form method="post" action="/logout"><button type="submit" class="secondary" id="logout">Log out</button></form>
</div>
</section>
${appOnlyPanel(view.appOnly)}`,
  )
}
