/**
 * Run by `profile.ts`: `profileChild.js <out.cpuprofile> <calls> <grantflow|undici>` with
 * TOKEN_URL set to an always-due token endpoint. Warms one long-lived client (a grantflow
 * client-credentials source, or raw undici.request as the reference), then records a V8 CPU
 * profile (the profiler `node --cpu-prof` uses, here started through the inspector so the
 * profile covers the token calls and not start-up) over `calls` sequential token requests.
 *
 * @module
 */
import { writeFile } from "node:fs/promises"
import { Session } from "node:inspector/promises"
import { grantflowSource, rawUndici } from "./tokenClients.js"

const [out = "clientCredentials.cpuprofile", callsText = "3000", subject = "grantflow"] =
  process.argv.slice(2)
const calls = Number.parseInt(callsText, 10)

const client = await (subject === "undici" ? rawUndici : grantflowSource).create(process.env.TOKEN_URL ?? "")
for (let i = 0; i < 500; i++) await client.once()

const session = new Session()
session.connect()
await session.post("Profiler.enable")
await session.post("Profiler.setSamplingInterval", { interval: 100 })
await session.post("Profiler.start")
for (let i = 0; i < calls; i++) await client.once()
const { profile } = await session.post("Profiler.stop")
session.disconnect()
await client.close()
await writeFile(out, JSON.stringify(profile))
