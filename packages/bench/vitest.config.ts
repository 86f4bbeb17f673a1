import { defineProject } from "vitest/config"

// The benches themselves are scripts (`pnpm bench`) and never assert a timing; these tests cover
// the helpers that summarise and attribute their figures.
export default defineProject({ test: { name: "bench", include: ["test/**/*.test.ts"] } })
