/**
 * Starts the stand-in token endpoint (`tokenServer.ts`) in a child process on loopback.
 *
 * @module
 */
import { fork } from "node:child_process"
import { fileURLToPath } from "node:url"

export interface TokenServer {
  readonly origin: string
  /** Issues tokens that live an hour. */
  readonly tokenUrl: string
  /** Issues tokens that live 1 ms (`expires_in: 0.001`): always due on a ticking clock. */
  readonly dueUrl: string
  /** How many token requests the server has answered so far. */
  readonly requests: () => Promise<number>
  readonly stop: () => void
}

export const startTokenServer = (): Promise<TokenServer> =>
  new Promise((resolve, reject) => {
    const child = fork(fileURLToPath(new URL("./tokenServer.js", import.meta.url)), [], {
      stdio: ["ignore", "inherit", "inherit", "ipc"],
    })
    child.once("error", reject)
    child.once("message", (message) => {
      const { port } = message as { readonly port: number }
      const origin = `http://127.0.0.1:${port}`
      resolve({
        origin,
        tokenUrl: `${origin}/token`,
        dueUrl: `${origin}/token-due`,
        requests: () =>
          new Promise((answer) => {
            child.once("message", (reply) => answer((reply as { readonly count: number }).count))
            child.send({ type: "count" })
          }),
        stop: () => child.disconnect(),
      })
    })
  })
