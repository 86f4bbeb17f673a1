/**
 * The README's examples, type-checked with the tests (`tsc -b`). Each mirrors how Spotify users
 * meet a flow. They are not run: they need Spotify credentials.
 */
import { readFile, writeFile } from "node:fs/promises"
import {
  authorizationCode,
  ConfigError,
  type Credentials,
  clientCredentials,
  type PendingLogin,
  providers,
  ReauthenticationRequired,
  savedCredentials,
  staticToken,
} from "@grantflow/core"

const clientId = process.env.SPOTIFY_CLIENT_ID ?? ""
const clientSecret = process.env.SPOTIFY_CLIENT_SECRET ?? ""

/** App-only data (catalog, new releases): client credentials, no user. */
export async function newReleases(): Promise<unknown> {
  const app = clientCredentials({ provider: providers.spotify, clientId, clientSecret })
  const response = await app.fetch("https://api.spotify.com/v1/browse/new-releases?limit=5")
  return response.json()
}

/** A server login: authorization code with the client secret (PKCE on as well). */
export async function serverLogin(session: { pending?: PendingLogin }): Promise<string> {
  const { url, pending } = await authorizationCode.begin({
    provider: providers.spotify,
    clientId,
    redirectUri: "http://127.0.0.1:3000/callback",
    scopes: ["user-read-email", "user-read-private"],
    params: { show_dialog: true },
  })
  session.pending = pending // keep it server-side (or in an HttpOnly cookie) until the callback
  return url // redirect the browser here
}

const neverBegun = (): never => {
  throw new ConfigError({ reason: "no login was begun in this session" })
}

export async function serverCallback(
  session: { pending?: PendingLogin },
  callbackUrl: string,
): Promise<Credentials> {
  const user = await authorizationCode.complete({
    provider: providers.spotify,
    clientId,
    clientSecret,
    pending: session.pending ?? neverBegun(),
    callbackUrl,
  })
  return user.getCredentials() // persist these for the user
}

/** A SPA or CLI login: PKCE with no secret. */
export async function publicLogin(pending: PendingLogin, callbackUrl: string): Promise<unknown> {
  const user = await authorizationCode.complete({
    provider: providers.spotify,
    clientId,
    pending,
    callbackUrl,
  })
  const me = await user.fetch("https://api.spotify.com/v1/me")
  return me.json()
}

/** Resuming saved credentials, persisting every change (Spotify may rotate refresh tokens). */
export async function resume(): Promise<unknown> {
  const user = savedCredentials({
    provider: providers.spotify,
    clientId,
    credentials: JSON.parse(await readFile("tokens.json", "utf8")),
    onCredentialsRefreshed: (next) => writeFile("tokens.json", JSON.stringify(next), { mode: 0o600 }),
  })
  try {
    return await (await user.fetch("https://api.spotify.com/v1/me/player/recently-played")).json()
  } catch (error) {
    if (error instanceof ReauthenticationRequired) return "log in again"
    throw error
  } finally {
    user.stop()
  }
}

/** A token someone else obtained (e.g. a Web Playback SDK callback). */
export async function withGivenToken(accessToken: string): Promise<number> {
  const fixed = staticToken({ accessToken, expiresAt: Date.now() + 3_600_000 })
  return (await fixed.fetch("https://api.spotify.com/v1/me")).status
}
