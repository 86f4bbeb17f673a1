/**
 * Fault injection only: real node:http servers on 127.0.0.1 that misbehave on purpose (endless or
 * enormous bodies, echoed secrets, redirects elsewhere, rotated refresh tokens lost in transit).
 * The behaviour of a well-behaved server is tested against the dev-server.
 *
 * @module
 */
import { createServer, type IncomingMessage, type ServerResponse } from "node:http"
import type { AddressInfo } from "node:net"
import * as Effect from "effect/Effect"

/** One request as the server saw it. */
export interface SeenRequest {
  readonly method: string
  readonly path: string
  readonly headers: IncomingMessage["headers"]
  readonly body: string
  readonly form: Readonly<Record<string, string>>
}

export interface HostileServer {
  /** `http://127.0.0.1:<port>`, no trailing slash. */
  readonly origin: string
  readonly requests: ReadonlyArray<SeenRequest>
}

export type Handler = (request: SeenRequest, response: ServerResponse) => void

/** A server running `handler` for every request (its body read first), closed with the scope. */
export const serve = (handler: Handler) =>
  Effect.acquireRelease(
    Effect.async<HostileServer & { readonly close: () => Promise<void> }>((resume) => {
      const requests: Array<SeenRequest> = []
      const server = createServer((request, response) => {
        let body = ""
        request.setEncoding("utf8")
        request.on("data", (chunk: string) => {
          body += chunk
        })
        request.on("end", () => {
          const seen: SeenRequest = {
            method: request.method ?? "",
            path: request.url ?? "",
            headers: request.headers,
            body,
            form: Object.fromEntries(new URLSearchParams(body)),
          }
          requests.push(seen)
          handler(seen, response)
        })
      })
      const close = () =>
        new Promise<void>((done) => {
          server.close(() => done())
          server.closeAllConnections()
        })
      server.listen(0, "127.0.0.1", () => {
        const { port } = server.address() as AddressInfo
        resume(Effect.succeed({ origin: `http://127.0.0.1:${port}`, requests, close }))
      })
    }),
    (server) => Effect.promise(server.close),
  )

const chunk = Buffer.alloc(64 * 1024, "a")

/**
 * Streams `total` bytes of body after `prefix`, generated lazily (one shared 64 KiB chunk) and
 * written only as fast as the client reads, so the server itself holds almost nothing. Stops when
 * the client goes away. With `declareLength` the size is announced in Content-Length.
 */
export const firehose = (
  response: ServerResponse,
  options: {
    readonly status: number
    readonly prefix: string
    readonly total: number
    readonly declareLength: boolean
  },
  /** Bytes written so far, across every response that shares it. */
  counter: { sent: number },
): void => {
  response.writeHead(options.status, {
    "content-type": "application/json",
    ...(options.declareLength ? { "content-length": String(options.total) } : {}),
  })
  let remaining = options.total - Buffer.byteLength(options.prefix)
  let closed = false
  response.on("close", () => {
    closed = true
  })
  response.write(options.prefix)
  counter.sent += Buffer.byteLength(options.prefix)
  const pump = () => {
    while (!closed && remaining > 0) {
      const piece = remaining >= chunk.length ? chunk : chunk.subarray(0, remaining)
      remaining -= piece.length
      counter.sent += piece.length
      if (!response.write(piece)) {
        response.once("drain", pump)
        return
      }
    }
    if (!closed) response.end()
  }
  pump()
}

/** Sends headers and the start of a body, then nothing more, ever (until the client leaves). */
export const neverEnding = (response: ServerResponse, status = 200): void => {
  response.writeHead(status, { "content-type": "application/json" })
  response.write(`{"access_token":"`)
}
