#!/usr/bin/env node
// The peer versions CI proves, read from @grantflow/core's peerDependencies so they never drift:
// `lowest` is the floor of each range, `highest` the range itself (npm and pnpm pick its newest).
// Prints them as npm install arguments (`args`) or as pnpm overrides (`json`).
import { readFileSync } from "node:fs"

const [set, format] = process.argv.slice(2)
const peers = JSON.parse(
  readFileSync(new URL("../packages/core/package.json", import.meta.url), "utf8"),
).peerDependencies
const versions = Object.fromEntries(
  Object.entries(peers).map(([name, range]) => {
    if (set === "highest") return [name, range]
    if (set === "lowest" && /^\^\d+\.\d+\.\d+$/.test(range)) return [name, range.slice(1)]
    throw new Error(`usage: peer-sets.mjs <lowest|highest> <args|json>; cannot take the floor of ${range}`)
  }),
)
console.log(
  format === "json"
    ? JSON.stringify(versions)
    : Object.entries(versions)
        .map(([name, version]) => `${name}@${version}`)
        .join(" "),
)
