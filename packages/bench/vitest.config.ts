import { defineProject } from "vitest/config"

// The bench is a script (`pnpm bench`), not a test suite: the root `vitest run` finds nothing here.
export default defineProject({ test: { name: "bench", include: [] } })
