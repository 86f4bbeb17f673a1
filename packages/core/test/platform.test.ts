import { execFileSync } from "node:child_process"
import { createServer } from "node:http"
import type { AddressInfo, Socket } from "node:net"
import { fileURLToPath } from "node:url"
import * as HttpClient from "@effect/platform/HttpClient"
import * as HttpClientRequest from "@effect/platform/HttpClientRequest"
import { describe, expect, it } from "@effect/vitest"
import { clientCredentials, defineProvider, TokenEndpoint } from "@grantflow/core"
import * as Effect from "effect/Effect"
import * as Exit from "effect/Exit"
import * as Layer from "effect/Layer"
import * as Redacted from "effect/Redacted"
import * as Scope from "effect/Scope"
import { layer as platformLayer } from "#platform/http"
import * as HttpFetch from "../src/platform/httpFetch.js"
import * as HttpNode from "../src/platform/httpNode.js"

const tokenBody = { access_token: "at-1", token_type: "Bearer", expires_in: 3600 }

/** A token endpoint on 127.0.0.1: records each form body and every socket the client opens. */
const tokenServer = Effect.acquireRelease(
  Effect.async<{
    readonly url: string
    readonly bodies: Array<{ readonly contentType: string | undefined; readonly body: string }>
    readonly connections: () => number
    readonly openSockets: () => number
    readonly close: Effect.Effect<void>
  }>((resume) => {
    const bodies: Array<{ contentType: string | undefined; body: string }> = []
    const sockets = new Set<Socket>()
    let connections = 0
    const server = createServer((request, response) => {
      let body = ""
      request.setEncoding("utf8")
      request.on("data", (chunk: string) => {
        body += chunk
      })
      request.on("end", () => {
        bodies.push({ contentType: request.headers["content-type"], body })
        const form = new URLSearchParams(body)
        const status = form.get("grant_type") === "client_credentials" ? 200 : 400
        const answer = JSON.stringify(status === 200 ? tokenBody : { error: "unsupported_grant_type" })
        if (form.get("chunked") === "true") {
          response.writeHead(status, { "content-type": "application/json" })
          response.write(answer.slice(0, 10))
          response.end(answer.slice(10))
          return
        }
        response
          .writeHead(status, { "content-type": "application/json", "content-length": String(answer.length) })
          .end(answer)
      })
    })
    server.on("connection", (socket: Socket) => {
      connections++
      sockets.add(socket)
      socket.on("close", () => sockets.delete(socket))
    })
    const close = Effect.async<void>((done) => {
      server.close(() => done(Effect.void))
      server.closeAllConnections()
    })
    server.listen(0, "127.0.0.1", () => {
      const { port } = server.address() as AddressInfo
      resume(
        Effect.succeed({
          url: `http://127.0.0.1:${port}/token`,
          bodies,
          connections: () => connections,
          openSockets: () => sockets.size,
          close,
        }),
      )
    })
  }),
  (server) => server.close,
)

const postForm = (url: string, grantType: string) =>
  Effect.flatMap(HttpClient.HttpClient, (client) =>
    client.execute(
      HttpClientRequest.post(url).pipe(
        HttpClientRequest.bodyUrlParams({ grant_type: grantType, scope: "a b" }),
        HttpClientRequest.acceptJson,
      ),
    ),
  )

const layers = [
  { name: "httpNode", layer: HttpNode.layer },
  { name: "httpFetch", layer: HttpFetch.layer },
] as const

describe("platform HTTP layers", () => {
  it("#platform/http is the Node layer under the node condition", () => {
    expect(platformLayer).toBe(HttpNode.layer)
  })

  for (const { name, layer } of layers) {
    describe(name, () => {
      it.effect("POSTs a form body and reads the JSON response", () =>
        Effect.gen(function* () {
          const server = yield* tokenServer
          const response = yield* postForm(server.url, "client_credentials")
          expect(response.status).toBe(200)
          expect(response.headers["content-type"]).toBe("application/json")
          expect(yield* response.json).toEqual(tokenBody)
          expect(server.bodies).toEqual([
            {
              contentType: "application/x-www-form-urlencoded",
              body: "grant_type=client_credentials&scope=a+b",
            },
          ])
          // A 4xx is a response, not a transport failure: its JSON body is readable.
          const rejected = yield* postForm(server.url, "password")
          expect(rejected.status).toBe(400)
          expect(yield* rejected.json).toEqual({ error: "unsupported_grant_type" })
        }).pipe(Effect.provide(layer), Effect.scoped),
      )

      it.effect("reuses connections across 20 sequential requests", () =>
        Effect.gen(function* () {
          const server = yield* tokenServer
          for (let i = 0; i < 20; i++) {
            const response = yield* postForm(server.url, "client_credentials")
            yield* response.json
          }
          expect(server.bodies).toHaveLength(20)
          expect(server.connections()).toBeLessThanOrEqual(2)
        }).pipe(Effect.provide(layer), Effect.scoped),
      )

      it.effect("reads chunked and sized bodies through the core's capped reader, reusing connections", () =>
        Effect.gen(function* () {
          const server = yield* tokenServer
          const endpoint = yield* TokenEndpoint.make({ retry: { maxRetries: 0 } })
          const provider = defineProvider({
            authorizationEndpoint: server.url,
            tokenEndpoint: server.url,
            tokenEndpointAuthMethod: "client_secret_post",
          })
          for (let i = 0; i < 20; i++) {
            const response = yield* endpoint.request({
              provider,
              client: { clientId: "a", clientSecret: Redacted.make("s") },
              grant: { type: "client_credentials" },
              // Alternates between a chunked body and one with Content-Length (see tokenServer).
              extra: { chunked: String(i % 2 === 0) },
            })
            expect(Redacted.value(response.accessToken)).toBe(tokenBody.access_token)
          }
          expect(server.connections()).toBeLessThanOrEqual(2)
        }).pipe(Effect.provide(layer), Effect.scoped),
      )

      it.effect("reports a refused connection as a Transport error (the retryable kind)", () =>
        Effect.gen(function* () {
          const url = yield* Effect.scoped(Effect.map(tokenServer, (server) => server.url))
          const error = yield* Effect.flip(postForm(url, "client_credentials"))
          expect(error._tag).toBe("RequestError")
          expect(error.reason).toBe("Transport")
        }).pipe(Effect.provide(layer)),
      )
    })
  }

  it.effect("httpNode closes its sockets when the layer is released", () =>
    Effect.gen(function* () {
      const server = yield* tokenServer
      const scope = yield* Scope.make()
      const context = yield* Layer.buildWithScope(HttpNode.layer, scope)
      for (let i = 0; i < 3; i++) {
        const response = yield* postForm(server.url, "client_credentials").pipe(Effect.provide(context))
        yield* response.json
      }
      expect(server.openSockets()).toBeGreaterThan(0)
      yield* Scope.close(scope, Exit.void)
      // The client, not the server, hangs up: nothing of the layer outlives its scope.
      for (let i = 0; i < 100 && server.openSockets() > 0; i++) yield* Effect.promise(() => sleep(10))
      expect(server.openSockets()).toBe(0)
      // A released layer sends nothing more.
      const after = yield* Effect.either(
        postForm(server.url, "client_credentials").pipe(Effect.provide(context)),
      )
      expect(after._tag).toBe("Left")
    }).pipe(Effect.scoped),
  )
})

describe("Promise-API sources", () => {
  it.live("share one keep-alive pool: 30 sources, none stopped, open at most 2 connections", () =>
    Effect.gen(function* () {
      const server = yield* tokenServer
      const provider = defineProvider({ authorizationEndpoint: server.url, tokenEndpoint: server.url })
      for (let i = 0; i < 30; i++) {
        // Dropped without stop(), as an adapter's sources of signed-out users are.
        const source = clientCredentials({ provider, clientId: `app-${i}`, clientSecret: "s" })
        expect(yield* Effect.promise(() => source.getAccessToken())).toBe("at-1")
      }
      expect(server.bodies).toHaveLength(30)
      expect(server.connections()).toBeLessThanOrEqual(2)
    }).pipe(Effect.scoped),
  )

  it("leave fetch's global dispatcher to Node: undici is not installed as the process-wide one", () => {
    // A fresh process, where nothing has used fetch yet: the built package, as users import it.
    const script = `
      import { clientCredentials, defineProvider } from "@grantflow/core"
      const url = "http://127.0.0.1:9/token"
      const provider = defineProvider({ authorizationEndpoint: url, tokenEndpoint: url })
      const source = clientCredentials({
        provider, clientId: "a", clientSecret: "s", tokenEndpoint: { retry: { maxRetries: 0 } },
      })
      await source.getAccessToken().catch(() => {})
      const dispatcher = globalThis[Symbol.for("undici.globalDispatcher.1")]
      // Imported last: importing undici itself installs its Agent when none is set.
      const { Agent } = await import("undici")
      console.log(JSON.stringify({ installed: dispatcher !== undefined, ours: dispatcher instanceof Agent }))
    `
    const output = execFileSync(process.execPath, ["--input-type=module", "-e", script], {
      cwd: fileURLToPath(new URL("..", import.meta.url)),
      encoding: "utf8",
    })
    expect(JSON.parse(output)).toEqual({ installed: true, ours: false })
  })
})

// Real time on purpose: @effect/vitest's it.effect runs on the TestClock.
const sleep = (ms: number) => new Promise<void>((resolve) => setTimeout(resolve, ms))

describe("redirects", () => {
  it.each(layers)(
    "$name does not follow a redirect, so a form body never travels to its target",
    async ({ layer }) => {
      const hits: Array<string> = []
      const server = createServer((request, response) => {
        hits.push(request.url ?? "")
        request.resume()
        response.writeHead(307, { location: "/elsewhere" }).end()
      })
      await new Promise<void>((resolve) => server.listen(0, "127.0.0.1", resolve))
      const { port } = server.address() as AddressInfo
      try {
        const response = await Effect.runPromise(
          postForm(`http://127.0.0.1:${port}/token`, "client_credentials").pipe(Effect.provide(layer)),
        )
        expect(response.status).toBe(307)
        expect(hits).toEqual(["/token"])
      } finally {
        server.closeAllConnections()
        await new Promise((resolve) => server.close(resolve))
      }
    },
  )
})
