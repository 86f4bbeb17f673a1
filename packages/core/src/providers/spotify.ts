/**
 * Spotify's accounts service: the first provider preset.
 *
 * @module
 */
import { defineProvider, type Provider } from "../Provider.js"

/**
 * Every scope Spotify's Web API documents, so a typo in a scope is a type error.
 *
 * @see https://developer.spotify.com/documentation/web-api/concepts/scopes
 */
export const spotifyScopes = [
  "ugc-image-upload",
  "user-read-playback-state",
  "user-modify-playback-state",
  "user-read-currently-playing",
  "app-remote-control",
  "streaming",
  "playlist-read-private",
  "playlist-read-collaborative",
  "playlist-modify-private",
  "playlist-modify-public",
  "user-follow-modify",
  "user-follow-read",
  "user-read-playback-position",
  "user-top-read",
  "user-read-recently-played",
  "user-library-modify",
  "user-library-read",
  "user-read-email",
  "user-read-private",
  "user-personalized",
  "user-soa-link",
  "user-soa-unlink",
  "soa-manage-entitlements",
  "soa-manage-partner",
  "soa-create-partner",
] as const

/** A scope of Spotify's Web API. */
export type SpotifyScope = Extract<(typeof spotifyScopes)[number], string>

/**
 * Extra authorization request parameters Spotify understands: `show_dialog` forces the consent
 * dialog even when the user approved the app before.
 */
export type SpotifyAuthorizationParams = {
  readonly show_dialog?: boolean
}

/**
 * Spotify's accounts service. It has no revocation endpoint and does not send `iss`; its token
 * endpoint takes HTTP Basic client authentication.
 *
 * @see https://developer.spotify.com/documentation/web-api/tutorials/code-flow
 */
export const spotify: Provider<SpotifyScope, SpotifyAuthorizationParams> = defineProvider<
  SpotifyScope,
  SpotifyAuthorizationParams
>({
  name: "spotify",
  authorizationEndpoint: "https://accounts.spotify.com/authorize",
  tokenEndpoint: "https://accounts.spotify.com/api/token",
  tokenEndpointAuthMethod: "client_secret_basic",
})
