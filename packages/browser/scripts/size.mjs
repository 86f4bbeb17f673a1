// The size budget of @grantflow/browser: bundles scripts/size-entry.ts (a SPA's PKCE login and
// renewal) for browsers with esbuild, minified, and measures it gzipped at level 9. Exits 1 above
// the budget. `--why` lists what each package and module costs (from esbuild's metafile).
import { gzipSync } from "node:zlib"
import { build } from "esbuild"

// Bytes, min+gzip. The measured size plus a few percent; see README.md for what costs what.
const budget = 117_000

const here = new URL("..", import.meta.url).pathname
const result = await build({
  entryPoints: [`${here}scripts/size-entry.ts`],
  bundle: true,
  minify: true,
  format: "esm",
  platform: "browser",
  target: "es2022",
  // esbuild drops its default `module` condition when given a list: keep it, or xstate comes as CJS.
  conditions: ["@grantflow/source", "module"],
  metafile: true,
  write: false,
  logLevel: "error",
})
const code = result.outputFiles[0].contents
const gzipped = gzipSync(code, { level: 9 }).length
const kb = (bytes) => `${(bytes / 1024).toFixed(1)} KB`

if (process.argv.includes("--why")) {
  const output = Object.values(result.metafile.outputs)[0]
  const byPackage = new Map()
  const byModule = []
  for (const [path, { bytesInOutput }] of Object.entries(output.inputs)) {
    const name =
      /node_modules\/(?:\.pnpm\/[^/]+\/node_modules\/)?((?:@[^/]+\/)?[^/]+)/.exec(path)?.[1] ??
      (path.includes("core/src/") ? "@grantflow/core" : "@grantflow/browser")
    byPackage.set(name, (byPackage.get(name) ?? 0) + bytesInOutput)
    byModule.push([path.replace(/.*node_modules\/(?:\.pnpm\/[^/]+\/node_modules\/)?/, ""), bytesInOutput])
  }
  console.log("minified bytes by package:")
  for (const [name, bytes] of [...byPackage].sort((a, b) => b[1] - a[1]))
    console.log(`  ${kb(bytes).padStart(9)}  ${name}`)
  console.log("largest modules (minified):")
  for (const [path, bytes] of byModule.sort((a, b) => b[1] - a[1]).slice(0, 40))
    console.log(`  ${kb(bytes).padStart(9)}  ${path}`)
}

console.log(
  `@grantflow/browser PKCE login + refresh: ${kb(code.length)} minified, ${kb(gzipped)} min+gzip (budget ${kb(budget)})`,
)
if (gzipped > budget) {
  console.error(
    `Over the size budget by ${gzipped - budget} bytes: see \`pnpm --filter @grantflow/browser size --why\`.`,
  )
  process.exit(1)
}
