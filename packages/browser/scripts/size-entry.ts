// What the size budget measures: a SPA's PKCE login and renewal through @grantflow/browser, as an
// app would write it (the demo's path, without its UI).
import { defineProvider } from "@grantflow/core/Provider"
import { createBrowserAuth } from "../src/index.js"

const auth = createBrowserAuth({
  provider: defineProvider({
    authorizationEndpoint: "https://auth.example/authorize",
    tokenEndpoint: "https://auth.example/token",
    revocationEndpoint: "https://auth.example/revoke",
    issuer: "https://auth.example",
  }),
  clientId: "spa",
  redirectUri: `${location.origin}/callback`,
  persist: "indexeddb",
})
if (location.pathname === "/callback") await auth.handleRedirect()
else if (!auth.isAuthenticated()) await auth.login({ returnTo: "/" })
await auth.refresh()
await auth.fetch("https://api.example/me")
console.log(await auth.getAccessToken())
await auth.logout()
