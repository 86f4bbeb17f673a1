import { describe, expect, it } from "@effect/vitest"
import { SavedCredentials, staticToken } from "@grantflow/core"
import * as Effect from "effect/Effect"
import * as FaultyHttpClient from "../support/FaultyHttpClient.js"
import { harness, provider, tokenResponse } from "../support/flowHarness.js"

/** A resource server stand-in (fault injection only) recording each call's Authorization header. */
const resource = (answers: ReadonlyArray<{ readonly status: number; readonly wwwAuthenticate?: string }>) => {
  const seen: Array<string | null> = []
  const fetch = async (input: RequestInfo | URL, init?: RequestInit) => {
    const request = new Request(input, init)
    seen.push(request.headers.get("authorization"))
    const answer = answers[Math.min(seen.length - 1, answers.length - 1)]!
    const headers: Record<string, string> = answer.wwwAuthenticate
      ? { "www-authenticate": answer.wwwAuthenticate }
      : {}
    return new Response(JSON.stringify({ body: await request.text() }), { status: answer.status, headers })
  }
  return { seen, fetch }
}

const credentials = { accessToken: "access-0", tokenType: "Bearer", scopes: [], refreshToken: "refresh-0" }
const invalidToken = 'Bearer error="invalid_token"'

const userWith = (api: ReturnType<typeof resource>, layer: ReturnType<typeof harness>["layer"]) =>
  SavedCredentials.make({ provider, clientId: "spa", credentials, fetch: api.fetch }).pipe(
    Effect.provide(layer),
  )

describe("TokenSource.fetch", () => {
  it.scoped("adds the Bearer header, and on a 401 renews once and replays once with the body intact", () =>
    Effect.gen(function* () {
      const { server, layer } = harness([tokenResponse(1)])
      const api = resource([{ status: 401, wwwAuthenticate: invalidToken }, { status: 200 }])
      const user = yield* userWith(api, layer)
      const response = yield* Effect.promise(() =>
        user.source.fetch("https://api.example.com/v1/me", { method: "POST", body: "payload" }),
      )
      expect(response.status).toBe(200)
      expect(yield* Effect.promise(() => response.json())).toEqual({ body: "payload" })
      expect(api.seen).toEqual(["Bearer access-0", "Bearer access-1"])
      expect(server.requests).toHaveLength(1)
    }),
  )

  it.scoped("replays only once: a second 401 is returned to the caller", () =>
    Effect.gen(function* () {
      const { server, layer } = harness([tokenResponse(1), tokenResponse(2)])
      const api = resource([{ status: 401, wwwAuthenticate: invalidToken }])
      const user = yield* userWith(api, layer)
      const response = yield* Effect.promise(() => user.source.fetch("https://api.example.com/v1/me"))
      expect(response.status).toBe(401)
      expect(api.seen).toHaveLength(2)
      expect(server.requests).toHaveLength(1)
    }),
  )

  it.scoped("does not renew for insufficient_scope: a new token would not have more scope", () =>
    Effect.gen(function* () {
      const { server, layer } = harness([tokenResponse(1)])
      const api = resource([{ status: 401, wwwAuthenticate: 'Bearer error="insufficient_scope", scope="x"' }])
      const user = yield* userWith(api, layer)
      const response = yield* Effect.promise(() => user.source.fetch("https://api.example.com/v1/me"))
      expect(response.status).toBe(401)
      expect(api.seen).toEqual(["Bearer access-0"])
      expect(server.requests).toHaveLength(0)
    }),
  )

  it.scoped("does not renew for insufficient_scope however the challenge spells it", () =>
    Effect.gen(function* () {
      // RFC 7235 allows a token or a quoted string, and whitespace around `=`; names are case-insensitive.
      const challenges = [
        "Bearer error=insufficient_scope",
        'Bearer realm="api", error = "insufficient_scope"',
        'Bearer ERROR="insufficient_scope"',
      ]
      for (const wwwAuthenticate of challenges) {
        const { server, layer } = harness([tokenResponse(1)])
        const api = resource([{ status: 401, wwwAuthenticate }])
        const user = yield* userWith(api, layer)
        const response = yield* Effect.promise(() => user.source.fetch("https://api.example.com/v1/me"))
        expect(response.status).toBe(401)
        expect(api.seen).toEqual(["Bearer access-0"])
        expect(server.requests).toHaveLength(0)
      }
    }),
  )

  it.scoped("a renewal that hands back the same token returns the 401 instead of replaying it", () =>
    Effect.gen(function* () {
      const { server, layer } = harness([tokenResponse(0)])
      const api = resource([{ status: 401, wwwAuthenticate: invalidToken }, { status: 200 }])
      const user = yield* userWith(api, layer)
      const response = yield* Effect.promise(() => user.source.fetch("https://api.example.com/v1/me"))
      expect(response.status).toBe(401)
      expect(api.seen).toEqual(["Bearer access-0"])
      expect(server.requests).toHaveLength(1)
    }),
  )

  it.scoped("a successful answer is handed back as is: no renewal, no replay", () =>
    Effect.gen(function* () {
      const { server, layer } = harness([tokenResponse(1)])
      const api = resource([{ status: 200 }])
      const user = yield* userWith(api, layer)
      const response = yield* Effect.promise(() => user.source.fetch("https://api.example.com/v1/me"))
      expect(response.status).toBe(200)
      expect(api.seen).toEqual(["Bearer access-0"])
      expect(server.requests).toHaveLength(0)
    }),
  )

  it.scoped("a 401 without a body is replayed too", () =>
    Effect.gen(function* () {
      const { layer } = harness([tokenResponse(1)])
      const seen: Array<string | null> = []
      // A resource server stand-in (fault injection) whose 401 has no body at all.
      const fetch = async (input: RequestInfo | URL, init?: RequestInit) => {
        seen.push(new Request(input, init).headers.get("authorization"))
        return new Response(seen.length === 1 ? null : "ok", { status: seen.length === 1 ? 401 : 200 })
      }
      const user = yield* SavedCredentials.make({ provider, clientId: "spa", credentials, fetch }).pipe(
        Effect.provide(layer),
      )
      const response = yield* Effect.promise(() => user.source.fetch("https://api.example.com/v1/me"))
      expect(response.status).toBe(200)
      expect(seen).toEqual(["Bearer access-0", "Bearer access-1"])
    }),
  )

  it.scoped("a token the resource server refused is not handed out again while its renewal fails", () =>
    Effect.gen(function* () {
      const { server, layer } = harness([
        FaultyHttpClient.json(503, { error: "temporarily_unavailable" }),
        tokenResponse(1),
      ])
      const api = resource([{ status: 401, wwwAuthenticate: invalidToken }])
      const user = yield* userWith(api, layer)
      const failed = yield* Effect.promise(() =>
        user.source.fetch("https://api.example.com/v1/me").then(
          () => undefined,
          (error: unknown) => error,
        ),
      )
      expect(failed).toMatchObject({ _tag: "OAuthError", status: 503 })
      // Not due by the clock, yet refused: the next caller waits for a renewal instead.
      expect(user.source.peekAccessToken()).toBeUndefined()
      expect(yield* Effect.promise(() => user.source.getAccessToken())).toBe("access-1")
      expect(server.requests).toHaveLength(2)
    }),
  )

  it("never replays for a static token", async () => {
    const api = resource([{ status: 401 }, { status: 200 }])
    const fixed = staticToken({ accessToken: "given", fetch: api.fetch })
    const response = await fixed.fetch("https://api.example.com/v1/me", { method: "POST", body: "x" })
    expect(response.status).toBe(401)
    expect(api.seen).toEqual(["Bearer given"])
    fixed.stop()
  })
})
