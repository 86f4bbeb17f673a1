/**
 * Run by `profile.ts`: `profileChild.js <out.cpuprofile> <calls>` with TOKEN_URL set to an
 * always-due token endpoint. Warms a long-lived client-credentials source, then records a V8
 * CPU profile (the profiler `node --cpu-prof` uses, here started through the inspector so the
 * profile covers the token calls and not start-up) over `calls` sequential getAccessToken().
 *
 * @module
 */
import { writeFile } from "node:fs/promises"
import { Session } from "node:inspector/promises"
import { sourceAt } from "./tokenClients.js"

const [out = "clientCredentials.cpuprofile", callsText = "3000"] = process.argv.slice(2)
const calls = Number.parseInt(callsText, 10)

const source = sourceAt(process.env.TOKEN_URL ?? "")
for (let i = 0; i < 500; i++) await source.getAccessToken()

const session = new Session()
session.connect()
await session.post("Profiler.enable")
await session.post("Profiler.setSamplingInterval", { interval: 100 })
await session.post("Profiler.start")
for (let i = 0; i < calls; i++) await source.getAccessToken()
const { profile } = await session.post("Profiler.stop")
session.disconnect()
source.stop()
await writeFile(out, JSON.stringify(profile))
