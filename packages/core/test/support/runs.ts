/**
 * How many runs a property gets. Under Stryker (`pnpm mutation`) every mutant re-runs the tests
 * that cover it, so properties run a quarter of their runs there: a mutant they miss at that
 * depth counts as surviving, so the mutation score is a lower bound of what CI's full runs catch.
 */
export const runs = (full: number): number =>
  process.env.STRYKER_MUTATOR_WORKER === undefined ? full : Math.max(25, Math.ceil(full / 4))
