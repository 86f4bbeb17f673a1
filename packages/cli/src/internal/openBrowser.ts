import { spawn } from "node:child_process"

/**
 * Opens `url` in the system browser, as the `open` package does, without its weight: the
 * platform's own opener, detached. Resolves false when there is none (a server, a container):
 * the URL is printed anyway, so the user can open it elsewhere.
 */
export const openBrowser = (url: string): Promise<boolean> => {
  const [command, args] =
    process.platform === "darwin"
      ? ["open", [url]]
      : process.platform === "win32"
        ? // `start` would read `&` in the query as a command separator.
          ["rundll32", ["url.dll,FileProtocolHandler", url]]
        : ["xdg-open", [url]]
  return new Promise((resolve) => {
    try {
      const child = spawn(command, args as string[], { detached: true, stdio: "ignore" })
      child.once("error", () => resolve(false))
      child.once("spawn", () => {
        child.unref()
        resolve(true)
      })
    } catch {
      resolve(false)
    }
  })
}
