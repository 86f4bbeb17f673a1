import type { ClientMetadata } from "oidc-provider"

/** Scope names modelled on Spotify's, all granted by the server's one resource (`${issuer}/v1`). */
export const scopes = [
  "user-read-private",
  "user-read-email",
  "user-top-read",
  "user-read-recently-played",
  "user-read-playback-state",
  "user-modify-playback-state",
  "user-read-currently-playing",
  "user-read-playback-position",
  "user-library-read",
  "user-library-modify",
  "user-follow-read",
  "user-follow-modify",
  "playlist-read-private",
  "playlist-read-collaborative",
  "playlist-modify-private",
  "playlist-modify-public",
  "ugc-image-upload",
  "app-remote-control",
  "streaming",
] as const

export const defaultSpaOrigins = ["http://127.0.0.1:5173", "http://localhost:5173"] as const

// Demo secrets are constants on purpose: demos hard-code them. They guard nothing but a
// server on the loopback interface that forgets everything when it stops.
export const webClientSecret = "grantflow-web-local-development-secret"
export const serviceClientSecret = "grantflow-service-local-development-secret"

export const builtInClients = (spaOrigins: readonly string[]): ClientMetadata[] => [
  {
    client_id: "grantflow-web",
    client_name: "grantflow web demo",
    client_secret: webClientSecret,
    token_endpoint_auth_method: "client_secret_basic",
    application_type: "web",
    grant_types: ["authorization_code", "refresh_token", "client_credentials"],
    response_types: ["code"],
    redirect_uris: ["http://127.0.0.1:3000/callback", "http://localhost:3000/callback"],
  },
  {
    client_id: "grantflow-spa",
    client_name: "grantflow browser demo",
    token_endpoint_auth_method: "none",
    application_type: "web",
    grant_types: ["authorization_code", "refresh_token"],
    response_types: ["code"],
    redirect_uris: spaOrigins.map((origin) => `${origin}/callback`),
  },
  {
    client_id: "grantflow-cli",
    client_name: "grantflow command line",
    token_endpoint_auth_method: "none",
    application_type: "native",
    // The device grant (RFC 8628) too: `grantflow login --device` on machines without a browser.
    grant_types: ["authorization_code", "refresh_token", "urn:ietf:params:oauth:grant-type:device_code"],
    response_types: ["code"],
    // RFC 8252 §7.3: oidc-provider accepts any port on a loopback redirect URI of a native client.
    redirect_uris: ["http://127.0.0.1/callback"],
  },
  {
    client_id: "grantflow-service",
    client_name: "grantflow service",
    client_secret: serviceClientSecret,
    token_endpoint_auth_method: "client_secret_basic",
    grant_types: ["client_credentials"],
    response_types: [],
    redirect_uris: [],
  },
]
