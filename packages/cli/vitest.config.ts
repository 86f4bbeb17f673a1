import { defineProject, mergeConfig } from "vitest/config"
import { sourceConditions } from "../../vitest.shared.js"

export default mergeConfig(
  sourceConditions,
  defineProject({
    test: {
      name: "cli",
      include: ["test/**/*.test.ts"],
      // Tests start real servers and processes; the crash test spawns 200 writers.
      testTimeout: 60_000,
    },
  }),
)
