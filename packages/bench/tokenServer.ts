/**
 * A stand-in token endpoint for the HTTP bench: a node:http server on 127.0.0.1 that checks a
 * form-encoded POST and answers a small JSON token response. Run as a child process so the
 * server does not share the client's event loop; it reports its port over IPC and exits when
 * its parent disconnects.
 *
 * @module
 */
import { createServer } from "node:http"

const tokenResponse = JSON.stringify({
  access_token: "bench-access-token-0123456789abcdef",
  token_type: "Bearer",
  expires_in: 3600,
  scope: "user-read-email",
})

const server = createServer((request, response) => {
  let body = ""
  request.setEncoding("utf8")
  request.on("data", (chunk: string) => {
    body += chunk
  })
  request.on("end", () => {
    const ok =
      request.method === "POST" &&
      request.headers["content-type"]?.startsWith("application/x-www-form-urlencoded") === true &&
      new URLSearchParams(body).get("grant_type") === "client_credentials"
    if (!ok) {
      response.writeHead(400, { "content-type": "application/json" }).end('{"error":"invalid_request"}')
      return
    }
    response
      .writeHead(200, { "content-type": "application/json", "cache-control": "no-store" })
      .end(tokenResponse)
  })
})

server.listen(0, "127.0.0.1", () => {
  const address = server.address()
  if (address === null || typeof address === "string") throw new Error("no TCP address")
  process.send?.({ port: address.port })
})

process.on("disconnect", () => {
  server.closeAllConnections()
  server.close()
})
