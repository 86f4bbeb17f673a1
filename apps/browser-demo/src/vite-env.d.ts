/// <reference types="vite/client" />

interface ImportMetaEnv {
  /** The dev-server's issuer; `pnpm demo:browser` runs it at http://127.0.0.1:4000. */
  readonly VITE_GRANTFLOW_ISSUER?: string
}
