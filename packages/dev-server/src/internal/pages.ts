const escapes: Record<string, string> = {
  "&": "&amp;",
  "<": "&lt;",
  ">": "&gt;",
  '"': "&quot;",
  "'": "&#39;",
}

export const html = (value: string): string => value.replace(/[&<>"']/g, (c) => escapes[c] ?? c)

const layout = (title: string, body: string): string => `<!doctype html>
<html lang="en">
<head>
<meta charset="utf-8">
<meta name="viewport" content="width=device-width, initial-scale=1">
<meta name="robots" content="noindex">
<title>${html(title)} · grantflow dev server</title>
<style>
body { font: 16px/1.5 system-ui, sans-serif; margin: 0; background: #f6f6f6; color: #111 }
.banner { background: #b00020; color: #fff; padding: .6em 1em; font-weight: 600; text-align: center }
main { max-width: 28em; margin: 2em auto; background: #fff; padding: 1.5em 2em; border-radius: 8px }
input[type=text] { width: 100%; box-sizing: border-box; padding: .5em; font-size: 1em }
button { padding: .5em 1.2em; font-size: 1em; margin: 1em .5em 0 0 }
code { background: #eee; padding: 0 .25em }
</style>
</head>
<body>
<div class="banner" role="alert">LOCAL DEVELOPMENT ONLY: grantflow dev server. Any user name is accepted. Never use it in production.</div>
<main>
${body}
</main>
</body>
</html>
`

export const loginPage = (uid: string, clientName: string): string =>
  layout(
    "Sign in",
    `<h1>Sign in</h1>
<p><strong>${html(clientName)}</strong> wants you to sign in. Type any user name: there are no passwords here.</p>
<form method="post" action="/interaction/${html(uid)}/login" data-grantflow="login">
<label for="username">User name</label>
<input type="text" id="username" name="username" value="" autofocus autocomplete="off" placeholder="e.g. ada">
<button type="submit">Sign in</button>
</form>
<form method="post" action="/interaction/${html(uid)}/abort"><button type="submit">Cancel</button></form>`,
  )

export const consentPage = (
  uid: string,
  clientName: string,
  accountId: string,
  scopes: readonly string[],
): string =>
  layout(
    "Authorize",
    `<h1>Authorize ${html(clientName)}</h1>
<p>Signed in as <strong>${html(accountId)}</strong>.</p>
${
  scopes.length > 0
    ? `<p>It asks for:</p>\n<ul>${scopes.map((scope) => `<li><code>${html(scope)}</code></li>`).join("")}</ul>`
    : "<p>It asks for no scopes.</p>"
}
<form method="post" action="/interaction/${html(uid)}/confirm" data-grantflow="consent">
<button type="submit" name="decision" value="allow">Allow</button>
<button type="submit" name="decision" value="deny">Deny</button>
</form>`,
  )

export const errorPage = (message: string): string =>
  layout("Error", `<h1>Something went wrong</h1>\n<p data-grantflow="error">${html(message)}</p>`)

// The device flow's pages wrap oidc-provider's own forms (they carry its CSRF token); the
// `data-grantflow` markers are what the headless `approveDeviceCode()` looks for.

const deviceInputText = {
  input: "Type the code your device shows.",
  error: "That code is unknown, expired or used. Check it and try again.",
  denied: "The sign-in was cancelled: the device was not connected.",
} as const

export const deviceInputPage = (form: string, state: keyof typeof deviceInputText): string =>
  layout(
    "Enter your code",
    `<h1>Connect a device</h1>
<p data-grantflow="device-${state}">${deviceInputText[state]}</p>
${form}
<button type="submit" form="op.deviceInputForm">Continue</button>`,
  )

export const deviceConfirmPage = (form: string, clientName: string, userCode: string): string =>
  layout(
    "Confirm the device",
    `<h1>Confirm the device</h1>
<p><strong>${html(clientName)}</strong> asks to sign in on a device showing <code data-grantflow="device-confirm">${html(userCode)}</code>. Continue only if your device shows this code.</p>
${form}
<button type="submit" form="op.deviceConfirmForm">Continue</button>
<button type="submit" form="op.deviceConfirmForm" name="abort" value="yes">Abort</button>`,
  )

export const deviceSuccessPage = (clientName: string): string =>
  layout(
    "Device connected",
    `<h1 data-grantflow="device-done">Device connected</h1>\n<p>${html(clientName)} is signed in. You can close this page and go back to your device.</p>`,
  )
