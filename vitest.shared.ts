import type { ViteUserConfig } from "vitest/config"

// Vite's default server conditions, with ours in front: replacing the list would drop them.
const conditions = ["@grantflow/source", "module", "node", "development|production"]

/**
 * Shared by every package's vitest config: resolve workspace packages to their `src/`
 * through the `@grantflow/source` export condition, so tests never need a build.
 */
export const sourceConditions: ViteUserConfig = {
  resolve: { conditions },
  ssr: { resolve: { conditions } },
}
