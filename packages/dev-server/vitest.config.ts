import { defineProject, mergeConfig } from "vitest/config"
import { sourceConditions } from "../../vitest.shared.js"

export default mergeConfig(
  sourceConditions,
  defineProject({
    test: {
      name: "dev-server",
      include: ["test/**/*.test.ts"],
      // Each file starts real servers; expiry tests wait for tokens to run out.
      testTimeout: 20_000,
    },
  }),
)
