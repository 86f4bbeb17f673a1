// Mutation testing of core's src with the unit suite (`pnpm mutation`; not part of CI: it takes
// tens of minutes). Pass `--mutate <globs>` to run a subset; see packages/core/MUTATION.md.
/** @type {import("@stryker-mutator/api/core").PartialStrykerOptions} */
export default {
  testRunner: "vitest",
  plugins: ["@stryker-mutator/vitest-runner"],
  // Tests import the package by name (resolved to src), which vitest's "related" lookup cannot follow.
  vitest: { configFile: "packages/core/vitest.mutation.config.ts", related: false },
  mutate: [
    "packages/core/src/**/*.ts",
    // Module wiring and the platform adapters (exercised by the integration tests) are left out.
    "!packages/core/src/index.ts",
    "!packages/core/src/**/index.ts",
    "!packages/core/src/platform/**",
  ],
  // Each mutant runs only the tests that cover it; mutants in module-level code are skipped
  // (they would need every test re-run on a fresh module graph).
  coverageAnalysis: "perTest",
  ignoreStatic: true,
  // The machine is shared: one test process.
  concurrency: 1,
  timeoutMS: 20_000,
  reporters: ["clear-text", "progress", "json"],
  jsonReporter: { fileName: "packages/core/reports/mutation/mutation.json" },
  tempDirName: ".stryker-tmp",
  ignorePatterns: ["apps", "packages/bench", "packages/*/dist", "**/.tsbuild", "**/reports", ".turbo"],
  cleanTempDir: "always",
}
