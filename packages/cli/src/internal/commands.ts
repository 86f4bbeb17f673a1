/**
 * The `grantflow` subcommands: login, token, status, logout, curl. Loaded only when the fast
 * token path in `bin.ts` cannot answer.
 */
import { createInterface } from "node:readline"
import { parseArgs } from "node:util"
import {
  type Credentials,
  discoverProvider,
  type Provider,
  providers,
  savedCredentials,
  type TokenSource,
} from "@grantflow/core"
import * as Effect from "effect/Effect"
import * as Option from "effect/Option"
import { deviceLogin } from "../DeviceLogin.js"
import { type FileStore, fileStore } from "../FileStore.js"
import { chooseStore, keychainStore, loadKeyring, type StoreKind } from "../KeychainStore.js"
import { loopbackLogin } from "../LoopbackLogin.js"
import {
  type ProfileConfig,
  profileName,
  providerOf,
  readProfile,
  removeProfile,
  storedProvider,
  writeProfile,
} from "./profiles.js"

/**
 * Exit codes, as `gh` keeps them few: scripts branch on 3 (log in first) and 4 (the user said
 * no, or never answered).
 */
export const exitCodes = {
  ok: 0,
  failed: 1,
  usage: 2,
  notLoggedIn: 3,
  loginRefused: 4,
} as const

const help = {
  main: `grantflow: OAuth 2.0 logins from a terminal

Usage: grantflow <command> [flags]

Commands:
  login    Log in (system browser and a loopback redirect, or --device)
  token    Print a valid access token, renewing it when needed: $(grantflow token)
  status   Show who is logged in, with which scopes, until when
  logout   Revoke the credentials at the server and delete them here
  curl     Call an API with the token: grantflow curl https://api.example.com/me

Flags on every command:
  --profile NAME   Which saved login to use (default "default")
  --json           Machine-readable output on stdout
  -h, --help       Help for the command

Credentials live in the OS keychain where one answers (macOS, Windows, the Secret Service on
Linux desktops), else in $XDG_CONFIG_HOME/grantflow (default ~/.config/grantflow), one 0600
file per profile. GRANTFLOW_STORE=file always uses the files. \`grantflow status\` says which.

Exit codes: 0 success; 1 failure (network, server, store); 2 usage error;
3 not logged in (or the login must be redone); 4 login denied, expired or timed out.
`,
  login: `Usage: grantflow login (--issuer URL | --provider spotify) --client-id ID [flags]

  --issuer URL        The authorization server, found by discovery (RFC 8414)
  --provider NAME     A preset instead of --issuer: spotify
  --client-id ID      The client's id (a public client: no secret)
  --scope SCOPE       A scope to request; repeat for several, or separate with spaces
  --device            Log in with a device code (RFC 8628): for SSH and machines without a browser
  --no-browser        Print the URL instead of opening a browser; then paste the URL the
                      browser was sent back to (for a browser on another machine)
  --port N            The loopback port, for providers that require a registered one (default: any)
  --me-url URL        An endpoint that names the user, shown by status (default for spotify: /v1/me)
  --timeout SECONDS   How long to wait for the browser (default 300)
  --profile NAME      Save the login under this name (default "default")
  --json              Print the result as JSON
`,
  token: `Usage: grantflow token [--profile NAME] [--json]

Prints a valid access token for the profile, renewing it with the refresh token when it is
about to expire. Exit code 3 when there is no login or it must be redone.
`,
  status: `Usage: grantflow status [--profile NAME] [--json]

Shows the profile's user, scopes, expiry and where its credentials are stored. No network.
`,
  logout: `Usage: grantflow logout [--profile NAME] [--json]

Revokes the refresh token (or access token) at the server where it has a revocation endpoint,
and deletes the profile's files.
`,
  curl: `Usage: grantflow curl URL [-X METHOD] [-H "Name: value"]... [-d BODY] [--profile NAME] [--json]

Sends the request with the profile's token (renewed as needed; on a 401 renewed once and
replayed) and prints the response body. Exit code 1 when the status is not 2xx.
`,
} as const

type CommandName = Exclude<keyof typeof help, "main">

class UsageError extends Error {}

const write = (stream: NodeJS.WriteStream, text: string) =>
  stream.write(text.endsWith("\n") ? text : `${text}\n`)
const out = (text: string) => write(process.stdout, text)
const err = (text: string) => write(process.stderr, text)

/** A spinner on stderr while waiting, only where a person watches (a TTY, not --json). */
const spinner = (text: string, enabled: boolean) => {
  if (!enabled || !process.stderr.isTTY) return () => {}
  const frames = ["⠋", "⠙", "⠹", "⠸", "⠼", "⠴", "⠦", "⠧", "⠇", "⠏"]
  let frame = 0
  const timer = setInterval(() => process.stderr.write(`\r${frames[frame++ % frames.length]} ${text}`), 100)
  return () => {
    clearInterval(timer)
    process.stderr.write("\r\x1b[2K")
  }
}

const tagOf = (error: unknown): string | undefined =>
  typeof error === "object" && error !== null && "_tag" in error ? String(error._tag) : undefined

const exitCodeOf = (error: unknown): number => {
  switch (tagOf(error)) {
    case "ReauthenticationRequired":
      return exitCodes.notLoggedIn
    case "AuthorizationDenied":
    case "DeviceCodeExpired":
    case "LoginTimedOut":
      return exitCodes.loginRefused
    default:
      return error instanceof UsageError ? exitCodes.usage : exitCodes.failed
  }
}

interface Context {
  readonly profile: string
  readonly json: boolean
  /** The profile files, and the lock of every store. */
  readonly store: FileStore
}

/** The store a profile's credentials were saved in at login. */
const storeOf = async (context: Context, kind: StoreKind | undefined) => {
  if (kind !== "keychain") return context.store
  const keyring = await loadKeyring()
  if (keyring === undefined)
    throw new Error("this login is in the OS keychain, but @napi-rs/keyring is not installed")
  return keychainStore(keyring, context.store)
}

const describeStore = async (context: Context, kind: StoreKind | undefined) =>
  kind === "keychain"
    ? { kind: "keychain", description: `OS keychain (service grantflow, account ${context.profile})` }
    : { kind: "file", description: `file ${await context.store.pathOf(context.profile)}` }

interface Session {
  readonly config: ProfileConfig
  readonly credentials: Credentials
  readonly source: TokenSource
}

/** The profile's saved login as a running source; `undefined` when there is none. */
const resume = async (context: Context): Promise<Session | undefined> => {
  const config = await readProfile(context.store.directory, context.profile)
  if (config === undefined) return undefined
  const store = await storeOf(context, config.store)
  const stored = await Effect.runPromise(store.get(context.profile))
  if (Option.isNone(stored)) return undefined
  const source = savedCredentials({
    provider: providerOf(config),
    clientId: config.clientId,
    credentials: stored.value,
    store,
    storeKey: context.profile,
  })
  return { config, credentials: stored.value, source }
}

const notLoggedIn = (context: Context) => {
  const message = `Not logged in (profile ${context.profile}). Run: grantflow login`
  if (context.json) out(JSON.stringify({ loggedIn: false, profile: context.profile }))
  err(message)
  return exitCodes.notLoggedIn
}

const login = async (context: Context, args: ReadonlyArray<string>): Promise<number> => {
  const { values } = parseArgs({
    args: [...args],
    options: {
      issuer: { type: "string" },
      provider: { type: "string" },
      "client-id": { type: "string" },
      scope: { type: "string", multiple: true },
      device: { type: "boolean" },
      "no-browser": { type: "boolean" },
      port: { type: "string" },
      "me-url": { type: "string" },
      timeout: { type: "string" },
    },
    strict: true,
  })
  const clientId = values["client-id"]
  if (clientId === undefined) throw new UsageError("login needs --client-id")
  if ((values.issuer === undefined) === (values.provider === undefined)) {
    throw new UsageError("login needs one of --issuer URL or --provider spotify")
  }
  if (values.provider !== undefined && values.provider !== "spotify") {
    throw new UsageError(`unknown provider ${values.provider}; the presets are: spotify`)
  }
  const port = values.port === undefined ? undefined : Number(values.port)
  if (port !== undefined && !(Number.isInteger(port) && port >= 0 && port < 65536)) {
    throw new UsageError("--port must be a port number")
  }
  const timeout = values.timeout === undefined ? 300 : Number(values.timeout)
  if (!(timeout > 0)) throw new UsageError("--timeout must be a positive number of seconds")
  const scopes = (values.scope ?? []).flatMap((scope) => scope.split(" ")).filter((scope) => scope !== "")
  const preset = values.provider === "spotify" ? "spotify" : undefined
  const provider: Provider = preset === "spotify" ? providers.spotify : await discoverProvider(values.issuer!)
  const meUrl = values["me-url"] ?? (preset === "spotify" ? "https://api.spotify.com/v1/me" : undefined)
  const chosen = await chooseStore({
    directory: context.store.directory,
    ...(process.env.GRANTFLOW_STORE === "file" ? { kind: "file" as const } : {}),
  })
  const common = { provider, clientId, scopes, store: chosen.store, storeKey: context.profile }
  let stop = () => {}
  let source: TokenSource
  let paste: ReturnType<typeof createInterface> | undefined
  try {
    if (values.device === true) {
      source = await deviceLogin({
        ...common,
        onPrompt: ({ userCode, verificationUri, verificationUriComplete }) => {
          if (context.json) err(JSON.stringify({ userCode, verificationUri, verificationUriComplete }))
          else err(`! First copy your one-time code: ${userCode}\nThen open ${verificationUri} in a browser.`)
          stop = spinner("Waiting for you to approve the device...", !context.json)
        },
      })
    } else {
      const noBrowser = values["no-browser"] === true
      if (noBrowser) paste = createInterface({ input: process.stdin, terminal: false })
      source = await loopbackLogin({
        ...common,
        port,
        timeoutMs: timeout * 1000,
        openBrowser: !noBrowser,
        pastedCallback:
          paste === undefined
            ? undefined
            : new Promise<string>((resolve) => paste!.once("line", (line) => resolve(line))),
        onUrl: (url) => {
          if (context.json) err(JSON.stringify({ url }))
          else
            err(
              noBrowser
                ? `Open this URL in a browser:\n\n  ${url}\n\nThen paste here the URL the browser ends on (it may show an error page):`
                : `Opening the browser. If it does not open, visit:\n\n  ${url}\n`,
            )
          if (!noBrowser) stop = spinner("Waiting for the browser...", !context.json)
        },
      })
    }
  } finally {
    stop()
    paste?.close()
  }
  const user = meUrl === undefined ? undefined : await whoIs(source, meUrl)
  const credentials = await source.getCredentials()
  writeProfile(context.store.directory, context.profile, {
    version: 1,
    provider: storedProvider(provider, preset),
    clientId,
    scopes,
    ...(meUrl === undefined ? {} : { meUrl }),
    ...(user === undefined ? {} : { user }),
    store: chosen.kind,
  })
  source.stop()
  if (context.json) {
    out(
      JSON.stringify({
        loggedIn: true,
        profile: context.profile,
        user,
        scopes: credentials.scopes,
        expiresAt: credentials.expiresAt,
      }),
    )
  } else {
    err(`✓ Logged in${user === undefined ? "" : ` as ${user}`} (profile ${context.profile}).`)
  }
  return exitCodes.ok
}

/** The user's name from a `/me`-like endpoint (Spotify's shape, or OpenID userinfo's). */
const whoIs = async (source: TokenSource, meUrl: string): Promise<string | undefined> => {
  try {
    const response = await source.fetch(meUrl)
    if (!response.ok) return undefined
    const me = (await response.json()) as Record<string, unknown>
    const name = me.display_name ?? me.name ?? me.id ?? me.sub ?? me.email
    // Printed to terminals: printable characters only, no escape sequences.
    return typeof name === "string" && /^[\p{L}\p{N}\p{P}\p{S} ]{1,200}$/u.test(name) ? name : undefined
  } catch {
    return undefined
  }
}

const token = async (context: Context): Promise<number> => {
  const session = await resume(context)
  if (session === undefined) return notLoggedIn(context)
  try {
    const accessToken = await session.source.getAccessToken()
    out(context.json ? JSON.stringify({ accessToken }) : accessToken)
    return exitCodes.ok
  } finally {
    session.source.stop()
  }
}

const describeExpiry = (expiresAt: number | undefined, now: number) => {
  if (expiresAt === undefined) return "no expiry given"
  const minutes = Math.round((expiresAt - now) / 60_000)
  const at = new Date(expiresAt).toISOString()
  return expiresAt <= now ? `expired at ${at}` : `expires at ${at} (in ${minutes} min)`
}

const status = async (context: Context): Promise<number> => {
  const config = await readProfile(context.store.directory, context.profile)
  const stored =
    config === undefined
      ? Option.none()
      : await Effect.runPromise((await storeOf(context, config.store)).get(context.profile))
  if (config === undefined || Option.isNone(stored)) return notLoggedIn(context)
  const credentials = stored.value
  const provider = providerOf(config)
  const storage = await describeStore(context, config.store)
  if (context.json) {
    out(
      JSON.stringify({
        loggedIn: true,
        profile: context.profile,
        provider: provider.issuer ?? provider.name,
        clientId: config.clientId,
        user: config.user,
        scopes: credentials.scopes,
        expiresAt: credentials.expiresAt,
        canRenew: credentials.refreshToken !== undefined,
        store: storage,
      }),
    )
  } else {
    out(
      [
        `${provider.issuer ?? provider.name} (profile ${context.profile})`,
        `  ✓ Logged in${config.user === undefined ? "" : ` as ${config.user}`} with client ${config.clientId}`,
        `  Scopes: ${credentials.scopes.join(" ") || "(none)"}`,
        `  Token: ${describeExpiry(credentials.expiresAt, Date.now())}; ${credentials.refreshToken === undefined ? "no refresh token" : "renewable"}`,
        `  Stored in: ${storage.description}`,
      ].join("\n"),
    )
  }
  return exitCodes.ok
}

const logout = async (context: Context): Promise<number> => {
  const session = await resume(context)
  let revoked = false
  if (session !== undefined) {
    try {
      await session.source.revoke()
      revoked = providerOf(session.config).revocationEndpoint !== undefined
    } catch (error) {
      err(
        `The server did not confirm the revocation (${error instanceof Error ? error.message : "unknown"}); the credentials are deleted here anyway.`,
      )
    } finally {
      session.source.stop()
    }
  }
  if (session !== undefined) {
    await Effect.runPromise((await storeOf(context, session.config.store)).remove(context.profile))
  }
  await Effect.runPromise(context.store.remove(context.profile))
  await removeProfile(context.store.directory, context.profile)
  if (context.json) out(JSON.stringify({ loggedIn: false, profile: context.profile, revoked }))
  else err(`✓ Logged out of profile ${context.profile}${revoked ? " (revoked at the server)" : ""}.`)
  return exitCodes.ok
}

const curl = async (context: Context, args: ReadonlyArray<string>): Promise<number> => {
  const { values, positionals } = parseArgs({
    args: [...args],
    options: {
      request: { type: "string", short: "X" },
      header: { type: "string", short: "H", multiple: true },
      data: { type: "string", short: "d" },
    },
    allowPositionals: true,
    strict: true,
  })
  if (positionals.length !== 1) throw new UsageError("curl needs one URL")
  const headers = new Headers()
  for (const header of values.header ?? []) {
    const colon = header.indexOf(":")
    if (colon <= 0) throw new UsageError(`-H "${header}" is not "Name: value"`)
    headers.append(header.slice(0, colon).trim(), header.slice(colon + 1).trim())
  }
  const session = await resume(context)
  if (session === undefined) return notLoggedIn(context)
  try {
    const response = await session.source.fetch(positionals[0]!, {
      method: values.request ?? (values.data === undefined ? "GET" : "POST"),
      headers,
      ...(values.data === undefined ? {} : { body: values.data }),
    })
    const body = await response.text()
    if (context.json) out(JSON.stringify({ status: response.status, body }))
    else {
      process.stdout.write(body)
      if (!response.ok) err(`HTTP ${response.status}`)
    }
    return response.ok ? exitCodes.ok : exitCodes.failed
  } finally {
    session.source.stop()
  }
}

const commands: Record<CommandName, (context: Context, args: ReadonlyArray<string>) => Promise<number>> = {
  login,
  token: (context) => token(context),
  status: (context) => status(context),
  logout: (context) => logout(context),
  curl,
}

/** Splits the flags every command takes from the command's own. */
const commonFlags = (args: ReadonlyArray<string>) => {
  const rest: string[] = []
  let profile = "default"
  let json = false
  let wantsHelp = false
  for (let i = 0; i < args.length; i++) {
    const arg = args[i]!
    if (arg === "--json") json = true
    else if (arg === "--help" || arg === "-h") wantsHelp = true
    else if (arg === "--profile") profile = args[++i] ?? ""
    else if (arg.startsWith("--profile=")) profile = arg.slice("--profile=".length)
    else rest.push(arg)
  }
  return { rest, profile, json, wantsHelp }
}

/** Runs the command line and returns the exit code. */
export const main = async (argv: ReadonlyArray<string>): Promise<number> => {
  const [name, ...args] = argv
  if (name === undefined || name === "--help" || name === "-h" || name === "help") {
    out(help.main)
    return name === undefined ? exitCodes.usage : exitCodes.ok
  }
  if (!(name in commands)) {
    err(`Unknown command ${name}.\n\n${help.main}`)
    return exitCodes.usage
  }
  const command = name as CommandName
  const { rest, profile, json, wantsHelp } = commonFlags(args)
  if (wantsHelp) {
    out(help[command])
    return exitCodes.ok
  }
  if (!profileName.test(profile)) {
    err("--profile must be 1 to 64 letters, digits, - or _.")
    return exitCodes.usage
  }
  try {
    return await commands[command]({ profile, json, store: fileStore() }, rest)
  } catch (error) {
    const code = exitCodeOf(error)
    const message = error instanceof Error ? error.message : String(error)
    if (json)
      out(JSON.stringify({ error: tagOf(error) ?? (code === exitCodes.usage ? "Usage" : "Error"), message }))
    err(code === exitCodes.usage ? `${message}\n\n${help[command]}` : `grantflow ${command}: ${message}`)
    return code
  }
}
