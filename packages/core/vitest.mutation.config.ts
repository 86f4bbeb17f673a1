import { fileURLToPath } from "node:url"
import { defineProject, mergeConfig } from "vitest/config"
import { sourceConditions } from "../../vitest.shared.js"

/**
 * The unit suite for mutation testing (`pnpm mutation`): every core test but the integration
 * tests, which start the dev-server and would make each mutant cost seconds, and platform.test.ts,
 * which runs the built package (Stryker's sandbox has no dist, and mutants live in src). No type tests.
 */
export default mergeConfig(
  sourceConditions,
  defineProject({
    // Stryker starts vitest from the repository root: the globs below are this package's.
    root: fileURLToPath(new URL(".", import.meta.url)),
    test: {
      name: "core-mutation",
      include: ["test/**/*.test.ts"],
      exclude: ["test/integration/**", "test/platform.test.ts"],
    },
  }),
)
