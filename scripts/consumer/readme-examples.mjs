#!/usr/bin/env node
// Writes every ```ts block of the READMEs to <outDir> as its own module, in order, so that the
// consumer check type-checks and runs exactly what a reader copies. Prints the file names.
import { mkdirSync, readFileSync, writeFileSync } from "node:fs"
import { join } from "node:path"

const readmes = { root: "README.md", core: "packages/core/README.md" }
const [outDir] = process.argv.slice(2)
if (outDir === undefined) {
  console.error("usage: readme-examples.mjs <outDir>")
  process.exit(2)
}
mkdirSync(outDir, { recursive: true })
const root = new URL("../..", import.meta.url)
const written = []
for (const [name, path] of Object.entries(readmes)) {
  const text = readFileSync(new URL(path, root), "utf8")
  const blocks = [...text.matchAll(/^```ts\n([\s\S]*?)^```$/gm)].map((match) => match[1])
  blocks.forEach((code, index) => {
    const file = `${name}-${String(index + 1).padStart(2, "0")}.ts`
    // Each block is a module of its own, even one without imports or exports.
    writeFileSync(join(outDir, file), `${code}export {}\n`)
    written.push(file)
  })
}
console.log(written.join("\n"))
