const escapes: Record<string, string> = {
  "&": "&amp;",
  "<": "&lt;",
  ">": "&gt;",
  '"': "&quot;",
  "'": "&#39;",
}
const html = (value: string) => value.replace(/[&<>"']/g, (c) => escapes[c] ?? c)

const page = (title: string, body: string) => `<!doctype html>
<html lang="en"><head><meta charset="utf-8"><meta name="viewport" content="width=device-width, initial-scale=1">
<meta name="robots" content="noindex"><title>${html(title)}</title>
<style>body{font:16px/1.5 system-ui,sans-serif;max-width:32em;margin:4em auto;padding:0 1em}</style>
</head><body>${body}</body></html>
`

/** What the browser shows once the login is complete. */
export const successPage = (): string =>
  page(
    "Signed in",
    `<h1 data-grantflow="login-done">You are signed in</h1><p>You can close this tab and go back to the terminal.</p>`,
  )

/** What the browser shows when the login failed: the error's message, which never holds a secret. */
export const failurePage = (message: string): string =>
  page(
    "Sign-in failed",
    `<h1 data-grantflow="login-failed">Sign-in failed</h1><p>${html(message)}</p><p>Go back to the terminal and run the login again.</p>`,
  )
