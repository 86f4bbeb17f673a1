import { defineProject, mergeConfig } from "vitest/config"
import { sourceConditions } from "../../vitest.shared.js"

export default mergeConfig(
  sourceConditions,
  defineProject({
    test: {
      name: "browser",
      include: ["test/**/*.test.ts"],
      // A DOM with sessionStorage and history at the demo's origin; IndexedDB and Web Locks are
      // given to each test explicitly (fake-indexeddb, a labelled lock stand-in).
      environment: "happy-dom",
      environmentOptions: { happyDOM: { url: "http://127.0.0.1:5173/" } },
      testTimeout: 30_000,
    },
  }),
)
