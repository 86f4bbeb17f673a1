import type * as OidcProvider from "oidc-provider"

/** What oidc-provider 9 prints once, when it is first imported, on any Node release before 22. */
export const unsupportedRuntimeWarning = "oidc-provider WARNING: Unsupported runtime."

let loading: Promise<typeof OidcProvider> | undefined

/**
 * Imports oidc-provider with its Node version warning filtered out. The package asks for Node
 * 22+; grantflow supports Node 20.19+, and everything the dev server uses works there (the test
 * suite runs on Node 20). Only that one line is dropped: every other warning still prints.
 */
export const loadProvider = (): Promise<typeof OidcProvider> => {
  loading ??= (async () => {
    const warn = console.warn
    console.warn = (...args: unknown[]) => {
      if (typeof args[0] === "string" && args[0].includes(unsupportedRuntimeWarning)) return
      warn.apply(console, args)
    }
    try {
      return await import("oidc-provider")
    } finally {
      console.warn = warn
    }
  })()
  return loading
}
