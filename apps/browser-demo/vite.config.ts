import { defaultClientConditions, defineConfig } from "vite"

// Workspace packages resolve to their source (the `@grantflow/source` condition): no build first.
export default defineConfig({
  resolve: { conditions: ["@grantflow/source", ...defaultClientConditions] },
  server: { host: "127.0.0.1", port: 5173, strictPort: true },
  preview: { host: "127.0.0.1", port: 5173, strictPort: true },
  build: { target: "es2022" },
})
