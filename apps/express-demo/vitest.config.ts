import { defineProject, mergeConfig } from "vitest/config"
import { sourceConditions } from "../../vitest.shared.js"

export default mergeConfig(
  sourceConditions,
  defineProject({
    test: {
      name: "express-demo",
      include: ["test/**/*.test.ts"],
      // A real Chromium, a real dev-server and the demo: each step is a page load or two.
      testTimeout: 60_000,
      hookTimeout: 60_000,
    },
  }),
)
