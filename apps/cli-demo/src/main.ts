/**
 * grantflow's CLI demo: starts the local authorization server, logs in from the terminal with
 * `@grantflow/cli`'s library API (a loopback redirect, then a device code), and prints the user
 * from `/v1/me`. Tokens are never printed.
 *
 *   npx -y pnpm@10.34.8 demo:cli                (the demo plays the browser itself)
 *   npx -y pnpm@10.34.8 demo:cli --browser      (your system browser opens; sign in there)
 */
import { mkdtemp } from "node:fs/promises"
import { tmpdir } from "node:os"
import { join } from "node:path"
import { deviceLogin, fileStore, loopbackLogin } from "@grantflow/cli"
import { discoverProvider, type TokenSource } from "@grantflow/core"
import { approveDeviceCode, completeLogin, startDevServer } from "@grantflow/dev-server"

const step = (title: string) => console.log(`\n▸ ${title}`)
const say = (line: string) => console.log(`  ${line}`)
const realBrowser = process.argv.includes("--browser")

const showUser = async (source: TokenSource, resource: string) => {
  const me = (await (await source.fetch(`${resource}/me`)).json()) as { id: string; email?: string }
  say(`/v1/me says: ${me.id}${me.email === undefined ? "" : ` <${me.email}>`}`)
}

const main = async () => {
  step("Starting the local authorization server (oidc-provider, local development only)")
  const server = await startDevServer({ deviceFlow: { interval: 1 } })
  const store = fileStore({ directory: await mkdtemp(join(tmpdir(), "grantflow-cli-demo-")) })
  say(`issuer ${server.issuer}; credentials saved under ${store.directory}`)
  try {
    const provider = await discoverProvider(server.issuer)
    const clientId = server.clients.cli.clientId

    step("Loopback login (RFC 8252): a listener on 127.0.0.1, PKCE, the browser sent back to it")
    const source = await loopbackLogin({
      provider,
      clientId,
      scopes: ["user-read-email"],
      store,
      storeKey: "default",
      onUrl: (url) => say(`authorization URL: ${new URL(url).origin}${new URL(url).pathname}?…`),
      // Without --browser the demo plays the browser: the dev-server's real pages, driven headlessly.
      openBrowser: realBrowser
        ? true
        : async (url) => {
            const callback = await completeLogin(url, { username: "ada" })
            say("the browser signed in as ada and was sent back to the loopback listener")
            await fetch(callback)
          },
    })
    await showUser(source, server.resource)
    say(`saved to ${await store.pathOf("default")} (mode 0600)`)
    source.stop()

    step("Device login (RFC 8628): a code to enter elsewhere, the device polls")
    const device = await deviceLogin({
      provider,
      clientId,
      scopes: ["user-read-email"],
      store,
      storeKey: "device",
      onPrompt: ({ userCode, verificationUri }) => {
        say(`enter ${userCode} at ${verificationUri}`)
        if (!realBrowser) {
          void approveDeviceCode(verificationUri, userCode, { username: "grace" }).then(() =>
            say("grace approved the device in a browser"),
          )
        }
      },
    })
    await showUser(device, server.resource)
    await device.revoke()
    say("revoked at the server and forgotten")
    device.stop()
  } finally {
    await server.stop()
  }
  step("Done")
}

main().then(
  () => process.exit(0),
  (error: unknown) => {
    console.error(error)
    process.exit(1)
  },
)
