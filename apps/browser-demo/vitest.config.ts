import { defineProject, mergeConfig } from "vitest/config"
import { sourceConditions } from "../../vitest.shared.js"

export default mergeConfig(
  sourceConditions,
  defineProject({
    test: {
      name: "browser-demo",
      include: ["test/**/*.test.ts"],
      // One Chromium, one build: the steps of the end-to-end story run in order.
      testTimeout: 60_000,
      hookTimeout: 60_000,
    },
  }),
)
