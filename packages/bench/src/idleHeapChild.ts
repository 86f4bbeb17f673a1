/**
 * Run by `idleHeap.ts` as `node --expose-gc idleHeapChild.js <kind> <count>` in a fresh process:
 * creates `count` idle holders of one user's saved credentials and prints, as JSON, the heap
 * they keep per holder and the CPU time it took to create each.
 *
 * @module
 */
import { defineProvider, machines, savedCredentials } from "@grantflow/core"
import { createActor } from "xstate"

const [kind = "grantflow", countText = "10000"] = process.argv.slice(2)
const count = Number.parseInt(countText, 10)
const gc = (globalThis as { gc?: () => void }).gc
if (gc === undefined) throw new Error("run with --expose-gc")

const provider = defineProvider({
  authorizationEndpoint: "http://127.0.0.1:9/authorize",
  tokenEndpoint: "http://127.0.0.1:9/token",
})
const expiresAt = Date.now() + 3_600_000

// Fresh strings per holder, as if each came from its own stored record.
const credentialsOf = (index: number) => ({
  accessToken: `access-token-${index}-0123456789abcdefghijklmnopqrstuvwxyz`,
  tokenType: "Bearer",
  scopes: ["user-read-email", "user-read-private"],
  expiresAt,
  refreshToken: `refresh-token-${index}-0123456789abcdefghijklmnopqrstuvwxyz`,
})

const holders: Record<string, (index: number) => unknown> = {
  // The anchor: the credentials alone, as a plain object.
  plain: credentialsOf,
  // The anchor: the flow's XState actor alone, started, without Effect around it.
  actor: (index) =>
    createActor(machines.savedCredentials, {
      input: {
        obtained: { credentials: credentialsOf(index), obtainedAt: Date.now(), renewAt: expiresAt - 60_000 },
      },
    }).start(),
  grantflow: (index) =>
    savedCredentials({ provider, clientId: "bench-client", credentials: credentialsOf(index) }),
}

const create = holders[kind]
if (create === undefined) throw new Error(`unknown kind ${kind}`)

// One holder first, so module-level caches and lazily compiled code are not counted.
const first = create(-1)
const settle = () => {
  for (let i = 0; i < 3; i++) gc()
}
settle()
const before = process.memoryUsage().heapUsed
const cpu = process.cpuUsage()
const kept: Array<unknown> = [first]
for (let index = 0; index < count; index++) kept.push(create(index))
const used = process.cpuUsage(cpu)
settle()
const after = process.memoryUsage().heapUsed
console.log(
  JSON.stringify({
    kind,
    count: kept.length - 1,
    bytesPerHolder: (after - before) / count,
    cpuMicrosPerCreate: (used.user + used.system) / count,
  }),
)
