import { fileURLToPath } from "node:url"
import { defineProject, mergeConfig } from "vitest/config"
import { sourceConditions } from "../../vitest.shared.js"

/**
 * The machine tests alone (`pnpm mutation:machines`): the suite that static mutants of the state
 * charts run against. Each such mutant changes module-level config, so every test re-runs on a
 * fresh module graph; this suite takes seconds, the whole unit suite would take minutes per mutant.
 */
export default mergeConfig(
  sourceConditions,
  defineProject({
    root: fileURLToPath(new URL(".", import.meta.url)),
    test: {
      name: "core-mutation-machines",
      include: ["test/machines/**/*.test.ts"],
    },
  }),
)
