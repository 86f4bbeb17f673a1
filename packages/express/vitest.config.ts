import { defineProject, mergeConfig } from "vitest/config"
import { sourceConditions } from "../../vitest.shared.js"

export default mergeConfig(
  sourceConditions,
  defineProject({
    test: {
      name: "express",
      include: ["test/**/*.test.ts"],
      // Each file starts a real dev-server and app; refresh tests wait for tokens to come due.
      testTimeout: 30_000,
      hookTimeout: 30_000,
    },
  }),
)
