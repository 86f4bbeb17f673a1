/**
 * A stand-in token endpoint for the benches: a node:http server on 127.0.0.1 that checks a
 * form-encoded POST and answers a small JSON token response. Run as a child process so the
 * server does not share the client's event loop (or its CPU time); it reports its port over IPC,
 * answers `{ type: "count" }` with the number of token requests it has served, and exits when its
 * parent disconnects.
 *
 * `POST /token` issues a token that lives an hour; `POST /token-due` one that lives 1 ms
 * (`expires_in: 0.001`; 0 would mean "no expiry given"), so a long-lived source on a clock that
 * moves at every reading (`tokenClients.ts`) must request a new token on every call.
 *
 * @module
 */
import { createServer } from "node:http"

const tokenResponse = (expiresIn: number) =>
  JSON.stringify({
    access_token: "bench-access-token-0123456789abcdef",
    token_type: "Bearer",
    expires_in: expiresIn,
    scope: "user-read-email",
  })

const bodies: Record<string, string> = {
  "/token": tokenResponse(3600),
  "/token-due": tokenResponse(0.001),
}

const grants = new Set(["client_credentials", "refresh_token"])
let served = 0

const server = createServer((request, response) => {
  let body = ""
  request.setEncoding("utf8")
  request.on("data", (chunk: string) => {
    body += chunk
  })
  request.on("end", () => {
    const answer = bodies[request.url ?? ""]
    const ok =
      answer !== undefined &&
      request.method === "POST" &&
      request.headers["content-type"]?.startsWith("application/x-www-form-urlencoded") === true &&
      grants.has(new URLSearchParams(body).get("grant_type") ?? "")
    if (!ok) {
      response.writeHead(400, { "content-type": "application/json" }).end('{"error":"invalid_request"}')
      return
    }
    served++
    response.writeHead(200, { "content-type": "application/json", "cache-control": "no-store" }).end(answer)
  })
})

server.listen(0, "127.0.0.1", () => {
  const address = server.address()
  if (address === null || typeof address === "string") throw new Error("no TCP address")
  process.send?.({ port: address.port })
})

process.on("message", (message: { readonly type?: unknown }) => {
  if (message.type === "count") process.send?.({ count: served })
})

process.on("disconnect", () => {
  server.closeAllConnections()
  server.close()
})
