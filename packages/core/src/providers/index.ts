/**
 * Provider presets: data, not classes. Any other standards-compliant server works through
 * `defineProvider` or `discoverProvider`.
 *
 * @module
 */
import { spotify } from "./spotify.js"

/** The built-in provider presets. */
export const providers = { spotify } as const

export { type SpotifyAuthorizationParams, type SpotifyScope, spotifyScopes } from "./spotify.js"
