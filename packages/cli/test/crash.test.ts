/**
 * Kills a process writing credentials through the file store's atomic write, 200 times at random
 * moments, and checks after each kill that the file parses and holds the old or the new
 * credentials. The writer runs the real module, transpiled to JavaScript for a bare `node`.
 */
import { spawn } from "node:child_process"
import { mkdtemp, readFile, writeFile } from "node:fs/promises"
import { tmpdir } from "node:os"
import { join } from "node:path"
import ts from "typescript"
import { beforeAll, describe, expect, it } from "vitest"

const source = join(import.meta.dirname, "../src/internal/atomicFile.ts")
// Large records widen the window in which a torn write would show.
const record = (name: string) =>
  JSON.stringify({ accessToken: name, tokenType: "Bearer", scopes: ["x"], padding: name.repeat(20_000) })

describe("crash test: SIGKILL the writer at random points", () => {
  let folder: string
  let writer: string

  beforeAll(async () => {
    folder = await mkdtemp(join(tmpdir(), "grantflow-crash-"))
    const { outputText } = ts.transpileModule(await readFile(source, "utf8"), {
      compilerOptions: { module: ts.ModuleKind.ESNext, target: ts.ScriptTarget.ES2022 },
    })
    await writeFile(join(folder, "atomicFile.mjs"), outputText)
    writer = join(folder, "writer.mjs")
    // Writes old, new, old, new... as fast as it can, until killed; says when it has begun.
    await writeFile(
      writer,
      `import { writeFileAtomic } from "./atomicFile.mjs"
const [path, a, b] = process.argv.slice(2)
process.stdout.write("ready\\n")
for (let i = 0; ; i++) writeFileAtomic(path, i % 2 === 0 ? b : a)
`,
    )
  })

  // Four writers at a time, each on its own file: the kills stay sequential per file.
  const killAt = async (target: string, old: string, next: string): Promise<string> => {
    await writeFile(target, old)
    const child = spawn(process.execPath, [writer, target, old, next], {
      stdio: ["ignore", "pipe", "inherit"],
    })
    await new Promise<void>((resolve) => child.stdout.once("data", () => resolve()))
    await new Promise((resolve) => setTimeout(resolve, Math.random() * 15))
    const exited = new Promise((resolve) => child.once("exit", (_code, signal) => resolve(signal)))
    child.kill("SIGKILL")
    expect(await exited).toBe("SIGKILL")
    return readFile(target, "utf8")
  }

  it("200 kills: every time the file parses and is the old or the new credentials", async () => {
    const [old, next] = [record("old"), record("new")]
    const seen = new Set<string>()
    await Promise.all(
      [0, 1, 2, 3].map(async (lane) => {
        const target = join(folder, `profile-${lane}.json`)
        for (let round = 0; round < 50; round++) {
          const text = await killAt(target, old, next)
          const parsed = JSON.parse(text) as { accessToken: string }
          expect([old, next]).toContain(text)
          seen.add(parsed.accessToken)
        }
      }),
    )
    // The kills landed both before and after a rename: the test exercised both outcomes.
    expect([...seen].sort()).toEqual(["new", "old"])
  }, 120_000)
})
