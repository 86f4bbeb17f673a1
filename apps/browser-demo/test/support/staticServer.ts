import { readFile } from "node:fs/promises"
import { createServer } from "node:http"
import type { AddressInfo } from "node:net"
import { extname, join, normalize } from "node:path"

const types: Record<string, string> = {
  ".html": "text/html; charset=utf-8",
  ".js": "text/javascript; charset=utf-8",
  ".css": "text/css; charset=utf-8",
}

/**
 * Serves a built SPA from `root` on 127.0.0.1: files by path, `index.html` for every other path
 * (the SPA's routes, such as /callback). The root is set once the build that needs the server's
 * origin has run.
 */
export const startStaticServer = async () => {
  let root: string | undefined
  const server = createServer(async (req, res) => {
    const path = normalize(decodeURIComponent(new URL(req.url ?? "/", "http://x").pathname))
    const file = extname(path) === "" ? "index.html" : path
    try {
      if (root === undefined || file.includes("..")) throw new Error("not found")
      const body = await readFile(join(root, file))
      res.writeHead(200, { "content-type": types[extname(file)] ?? "application/octet-stream" })
      res.end(body)
    } catch {
      res.writeHead(404).end()
    }
  })
  await new Promise<void>((resolve) => server.listen(0, "127.0.0.1", resolve))
  const { port } = server.address() as AddressInfo
  return {
    origin: `http://127.0.0.1:${port}`,
    serve: (directory: string) => {
      root = directory
    },
    stop: () =>
      new Promise<void>((resolve) => {
        server.close(() => resolve())
        server.closeAllConnections()
      }),
  }
}
