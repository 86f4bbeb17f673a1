const escapeHtml = (text: string): string =>
  text.replace(
    /[&<>"']/g,
    (c) => ({ "&": "&amp;", "<": "&lt;", ">": "&gt;", '"': "&quot;", "'": "&#39;" })[c] ?? c,
  )

const page = (title: string, body: string): string => `<!doctype html>
<html lang="en">
<head>
<meta charset="utf-8">
<meta name="viewport" content="width=device-width, initial-scale=1">
<title>${escapeHtml(title)}</title>
<style>
  body { font: 16px/1.5 system-ui, sans-serif; margin: 0; padding: 2rem 1rem; background: #f6f7f9; color: #1d2330; }
  main { max-width: 32rem; margin: 0 auto; background: #fff; border-radius: 12px; padding: 1.5rem; box-shadow: 0 1px 3px #0002; }
  h1 { font-size: 1.3rem; margin-top: 0; }
  .actions { display: flex; gap: .75rem; flex-wrap: wrap; margin-top: 1.25rem; }
  a.button, button { font: inherit; padding: .55rem 1rem; border-radius: 8px; border: 0; background: #1d5bd8; color: #fff; text-decoration: none; cursor: pointer; }
  a.secondary { background: #e6e9ef; color: #1d2330; }
  small { color: #5b6475; }
</style>
</head>
<body><main>${body}</main></body>
</html>`

/** An error page: what happened, and a way to try again. */
export const errorPage = (options: {
  readonly title: string
  readonly message: string
  readonly code: string
  readonly retryUrl: string
}): string =>
  page(
    options.title,
    `<h1>${escapeHtml(options.title)}</h1>
<p>${escapeHtml(options.message)}</p>
<p><small>Error: ${escapeHtml(options.code)}</small></p>
<div class="actions"><a class="button" href="${escapeHtml(options.retryUrl)}">Log in again</a><a class="button secondary" href="/">Home</a></div>`,
  )

/** The logout confirmation a GET shows: logging out changes state, so it takes a POST. */
export const logoutPage = (action: string): string =>
  page(
    "Log out",
    `<h1>Log out?</h1>
<p>This ends your session here and revokes the app's access.</p>
<form method="post" action="${escapeHtml(action)}" class="actions">
<button type="submit">Log out</button><a class="button secondary" href="/">Cancel</a>
</form>`,
  )
