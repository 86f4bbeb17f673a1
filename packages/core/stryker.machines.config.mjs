// The flow machines with their static mutants (`pnpm mutation:machines`; not part of CI). The
// charts' states, targets, guards and tags are module-level config, which `pnpm mutation` skips
// (`ignoreStatic`); here each of those mutants runs the machine tests. See MUTATION.md.
import base from "./stryker.config.mjs"

/** @type {import("@stryker-mutator/api/core").PartialStrykerOptions} */
export default {
  ...base,
  vitest: { configFile: "packages/core/vitest.mutation-machines.config.ts", related: false },
  mutate: ["packages/core/src/machines/**/*.ts", "!packages/core/src/machines/index.ts"],
  ignoreStatic: false,
  jsonReporter: { fileName: "packages/core/reports/mutation/machines.json" },
  tempDirName: ".stryker-tmp-machines",
}
