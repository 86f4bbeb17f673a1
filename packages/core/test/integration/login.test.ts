import { completeLogin, startDevServer } from "@grantflow/dev-server"
import * as fc from "fast-check"
import { describe, expect, it } from "vitest"
import {
  authorizationCode,
  type Credentials,
  discoverProvider,
  type PendingLogin,
  savedCredentials,
} from "../../src/index.js"
import { type Running, useDevServer } from "./devServer.js"

const dev = useDevServer()
const secret = "the-express-adapter's-cookie-secret-0123456789"

/** A login up to its callback: the pending login and the URL the dev-server redirected to. */
const toCallback = async ({ server, provider }: Running, username = "alice") => {
  const client = server.clients.web
  const redirectUri = client.redirectUris[0]!
  const { url, pending } = await authorizationCode.begin({
    provider,
    clientId: client.clientId,
    redirectUri,
    scopes: ["user-read-email"],
  })
  return { client, pending, callbackUrl: await completeLogin(url, { username, redirectUri }) }
}

const completeWith = (running: Running, pending: unknown, callbackUrl: string | URL, extra = {}) =>
  authorizationCode.complete({
    provider: running.provider,
    clientId: running.server.clients.web.clientId,
    clientSecret: running.server.clients.web.clientSecret,
    // Untrusted on purpose: these tests hand complete() tampered and foreign pending logins.
    pending: pending as PendingLogin,
    callbackUrl,
    ...extra,
  })

describe("against the dev-server: a pending login cannot be turned against its user", () => {
  it("the same callback completed twice: refused with no token request; the first session lives on", async () => {
    const running = dev()
    const { pending, callbackUrl } = await toCallback(running)
    running.server.counters.reset()
    const first = await completeWith(running, pending, callbackUrl)
    const [again, concurrent] = await Promise.allSettled([
      completeWith(running, pending, callbackUrl),
      completeWith(running, JSON.parse(JSON.stringify(pending)), callbackUrl),
    ])
    for (const result of [again, concurrent]) {
      expect(result).toMatchObject({
        status: "rejected",
        reason: { _tag: "InvalidPendingLogin", reason: "AlreadyCompleted" },
      })
    }
    expect(running.server.counters.tokenRequests.authorization_code).toBe(1)
    expect(running.server.counters.codeReuseDetected).toBe(0)
    // The grant was not revoked: its refresh token still renews.
    const credentials = await first.getCredentials()
    const resumed = savedCredentials({
      provider: running.provider,
      clientId: running.server.clients.web.clientId,
      clientSecret: running.server.clients.web.clientSecret,
      credentials: { ...credentials, expiresAt: 0 } satisfies Credentials,
    })
    expect((await resumed.fetch(`${running.server.issuer}/v1/me`)).status).toBe(200)
    expect(running.server.counters.tokenRequests.refresh_token).toBe(1)
    expect(running.server.counters.refreshReuseDetected).toBe(0)
    first.stop()
    resumed.stop()
  })

  it("a pending from server A completed with provider B: refused before any request to either", async () => {
    const running = dev()
    const other = await startDevServer()
    try {
      const providerB = await discoverProvider(other.issuer)
      const { pending, callbackUrl } = await toCallback(running)
      running.server.counters.reset()
      // B's callback shape (its iss) with A's code: only the pending's issuer says it is A's.
      const forB = new URL(callbackUrl)
      forB.searchParams.set("iss", other.issuer)
      for (const callback of [callbackUrl, forB]) {
        await expect(
          authorizationCode.complete({
            provider: providerB,
            clientId: other.clients.web.clientId,
            clientSecret: other.clients.web.clientSecret,
            pending,
            callbackUrl: callback,
          }),
        ).rejects.toMatchObject({ _tag: "InvalidPendingLogin", reason: "IssuerMismatch" })
      }
      expect(other.counters.tokenRequests.authorization_code).toBe(0)
      expect(running.server.counters.tokenRequests.authorization_code).toBe(0)
    } finally {
      await other.stop()
    }
  })

  it("tampered and expired pendings, plain and sealed, never reach the token endpoint", async () => {
    const running = dev()
    const { pending, callbackUrl } = await toCallback(running)
    running.server.counters.reset()
    const old = { ...pending, createdAt: pending.createdAt - 11 * 60_000 }
    const plain: Array<[unknown, string]> = [
      [{ ...pending, state: "" }, "Malformed"],
      [{ ...pending, codeVerifier: "12345" }, "Malformed"],
      [{ ...pending, createdAt: "yesterday" }, "Malformed"],
      [old, "Expired"],
    ]
    for (const [forged, reason] of plain) {
      await expect(completeWith(running, forged, callbackUrl)).rejects.toMatchObject({
        _tag: "InvalidPendingLogin",
        reason,
      })
    }
    // A shorter maximum age is honoured.
    await expect(completeWith(running, pending, callbackUrl, { pendingMaxAgeMs: 1 })).rejects.toMatchObject({
      reason: "Expired",
    })
    const sealed = await authorizationCode.seal(pending, secret)
    const tampered = `${sealed.slice(0, 30)}${sealed[30] === "x" ? "y" : "x"}${sealed.slice(31)}`
    await expect(authorizationCode.unseal(tampered, secret)).rejects.toMatchObject({ reason: "Malformed" })
    const expired = await authorizationCode.seal(old, secret)
    await expect(authorizationCode.unseal(expired, secret)).rejects.toMatchObject({ reason: "Expired" })
    expect(running.server.counters.tokenRequests.authorization_code).toBe(0)
    // The untouched pending, through its sealed form, still completes: nothing above consumed it.
    const user = await completeWith(running, await authorizationCode.unseal(sealed, secret), callbackUrl)
    expect(running.server.counters.tokenRequests.authorization_code).toBe(1)
    user.stop()
  })

  it("fuzzed callbacks: no token request unless origin, path and state all match", async () => {
    const running = dev()
    const redirect = new URL(running.server.clients.web.redirectUris[0]!)
    const origins = [redirect.origin, "http://evil.example", `${redirect.protocol}//${redirect.hostname}:1`]
    const paths = [redirect.pathname, `${redirect.pathname}/`, "/", `${redirect.pathname}x`]
    await fc.assert(
      fc.asyncProperty(
        fc.constantFrom(...origins),
        fc.constantFrom(...paths),
        fc.boolean(),
        async (origin, path, rightState) => {
          const { pending, callbackUrl } = await toCallback(running)
          const callback = new URL(callbackUrl)
          const forged = new URL(`${origin}${path}${callback.search}`)
          if (!rightState) forged.searchParams.set("state", otherState(pending))
          running.server.counters.reset()
          const matches = origin === redirect.origin && path === redirect.pathname && rightState
          const result = await completeWith(running, pending, forged).then(
            (user) => {
              user.stop()
              return "completed"
            },
            (error: { readonly _tag: string }) => error._tag,
          )
          expect(result).toEqual(
            matches ? "completed" : expect.stringMatching(/InvalidPendingLogin|StateMismatch/),
          )
          expect(running.server.counters.tokenRequests.authorization_code).toBe(matches ? 1 : 0)
        },
      ),
      { numRuns: 24 },
    )
    // Many real logins and renewals: room for a machine shared with other builds.
  }, 60_000)
})

const otherState = (pending: PendingLogin) =>
  `${pending.state.slice(0, -1)}${pending.state.endsWith("A") ? "B" : "A"}`
