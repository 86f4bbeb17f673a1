/**
 * The benches measure the built package, as users get it: they stop early when it is missing.
 *
 * @module
 */
import { access } from "node:fs/promises"
import { fileURLToPath } from "node:url"

export const requireBuiltCore = async (): Promise<void> => {
  try {
    // Without the source condition, the package's export points into dist.
    await access(fileURLToPath(import.meta.resolve("@grantflow/core")))
  } catch {
    throw new Error("packages/core/dist is missing: run `npx -y pnpm@10.34.8 build` first.")
  }
}
