// What `grantflow token` costs a script: wall time of `grantflow token` with a valid stored token
// (the fast path), next to `node -e 0` (bare Node) and `grantflow token --json` (the full command,
// which loads Effect, xstate and the core). Run after `tsc -b`:  node scripts/bench-token.mjs [runs]
import { spawnSync } from "node:child_process"
import { mkdirSync, mkdtempSync, writeFileSync } from "node:fs"
import { tmpdir } from "node:os"
import { join } from "node:path"

const runs = Number(process.argv[2] ?? 40)
const bin = join(import.meta.dirname, "../dist/bin.js")
const home = mkdtempSync(join(tmpdir(), "grantflow-bench-"))
mkdirSync(join(home, "grantflow"), { mode: 0o700 })
const credentials = {
  accessToken: "bench-access-token",
  tokenType: "Bearer",
  scopes: [],
  expiresAt: Date.now() + 3_600_000,
}
writeFileSync(join(home, "grantflow", "default.json"), JSON.stringify(credentials), { mode: 0o600 })
const provider = {
  name: "bench",
  authorizationEndpoint: "https://bench.invalid/auth",
  tokenEndpoint: "https://bench.invalid/token",
  tokenEndpointAuthMethod: "none",
  authorizationResponseIssParameterSupported: false,
}
writeFileSync(
  join(home, "grantflow", "default.config.json"),
  JSON.stringify({ version: 1, provider, clientId: "bench", scopes: [] }),
)
const env = { ...process.env, XDG_CONFIG_HOME: home }

const measure = (args) => {
  const times = []
  for (let i = 0; i < runs; i++) {
    const start = process.hrtime.bigint()
    const result = spawnSync(process.execPath, args, { env, encoding: "utf8" })
    times.push(Number(process.hrtime.bigint() - start) / 1e6)
    if (result.status !== 0) throw new Error(`${args.join(" ")} exited ${result.status}: ${result.stderr}`)
  }
  times.sort((a, b) => a - b)
  const at = (q) => times[Math.min(times.length - 1, Math.floor(q * times.length))].toFixed(0)
  return `median ${at(0.5)} ms, p90 ${at(0.9)} ms`
}

// Interleaved warm-up, so the disk cache serves every variant alike.
measure(["-e", "0"])
console.log(`node -e 0                  ${measure(["-e", "0"])}`)
console.log(`grantflow token            ${measure([bin, "token"])}`)
console.log(`grantflow token --json     ${measure([bin, "token", "--json"])}   (full command)`)
