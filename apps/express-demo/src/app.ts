import type { Provider, TokenSource } from "@grantflow/core"
import { auth, authErrorHandler, requiresAuth } from "@grantflow/express"
import express, { type Express } from "express"
import { type HomeView, homePage } from "./pages.js"

/** What the demo needs: the provider and client, where the user's API lives, and an app-only source. */
export interface DemoOptions {
  readonly provider: Provider<string>
  readonly providerName: string
  readonly clientId: string
  readonly clientSecret: string
  readonly scopes: ReadonlyArray<string>
  readonly baseUrl: string
  readonly secret: string
  /** `https://api.spotify.com/v1` or the dev-server's `${issuer}/v1`. */
  readonly apiBase: string
  /** The app's own token (client credentials), for data that belongs to no user. */
  readonly appOnly: TokenSource
  readonly authorizationParams?: Readonly<Record<string, string | number | boolean>>
}

interface Me {
  readonly id: string
  readonly display_name?: string | null
  readonly email?: string
}

interface Markets {
  readonly markets: ReadonlyArray<string>
}

const appOnlyData = async (options: DemoOptions): Promise<HomeView["appOnly"]> => {
  try {
    const response = await options.appOnly.fetch(`${options.apiBase}/markets`)
    if (!response.ok) return { error: `The API answered ${response.status}.` }
    return { markets: ((await response.json()) as Markets).markets }
  } catch (error) {
    return { error: error instanceof Error ? error.message : "The app-only request failed." }
  }
}

/** The demo app: a home page, a forced refresh, and everything `auth()` mounts. */
export const createDemoApp = (options: DemoOptions): Express => {
  const app = express()
  app.disable("x-powered-by")
  app.use(
    auth({
      provider: options.provider,
      clientId: options.clientId,
      clientSecret: options.clientSecret,
      scopes: options.scopes,
      baseUrl: options.baseUrl,
      secret: options.secret,
      authorizationParams: options.authorizationParams,
    }),
  )

  app.get("/", async (req, res) => {
    const appOnly = await appOnlyData(options)
    let user: HomeView["user"]
    if (req.grantflow.isAuthenticated()) {
      const response = await req.grantflow.fetch(`${options.apiBase}/me`)
      if (!response.ok) throw new Error(`GET /me answered ${response.status}`)
      const me = (await response.json()) as Me
      const session = await req.grantflow.getSession()
      user = {
        name: me.display_name ?? me.id,
        email: me.email,
        scopes: session?.scopes ?? [],
        expiresAt: session?.expiresAt,
        refreshedAt: session?.refreshedAt,
        revision: session?.revision ?? 0,
      }
    }
    res.setHeader("cache-control", "no-store")
    res.type("html").send(homePage({ provider: options.providerName, user, appOnly }))
  })

  app.post("/refresh", requiresAuth(), async (req, res) => {
    await req.grantflow.refresh()
    res.redirect(303, "/")
  })

  app.use(authErrorHandler())
  return app
}
