import { createHash, randomBytes } from "node:crypto"
import type { DevClient, DevServer } from "@grantflow/dev-server"

export interface Pkce {
  readonly verifier: string
  readonly challenge: string
}

export const makePkce = (): Pkce => {
  const verifier = randomBytes(32).toString("base64url")
  return { verifier, challenge: createHash("sha256").update(verifier).digest("base64url") }
}

export const makeState = () => randomBytes(16).toString("base64url")

export const authorizationUrl = (
  server: DevServer,
  client: DevClient,
  params: { redirectUri?: string; scope: string; state: string; pkce?: Pkce },
): string => {
  const url = new URL("/auth", server.issuer)
  url.searchParams.set("response_type", "code")
  url.searchParams.set("client_id", client.clientId)
  url.searchParams.set("redirect_uri", params.redirectUri ?? client.redirectUris[0]!)
  url.searchParams.set("scope", params.scope)
  url.searchParams.set("state", params.state)
  if (params.pkce !== undefined) {
    url.searchParams.set("code_challenge", params.pkce.challenge)
    url.searchParams.set("code_challenge_method", "S256")
  }
  return url.href
}

export const basic = (client: DevClient) =>
  `Basic ${Buffer.from(`${encodeURIComponent(client.clientId)}:${encodeURIComponent(client.clientSecret!)}`).toString("base64")}`

export interface JsonResponse {
  readonly status: number
  readonly headers: Headers
  readonly body: Record<string, unknown>
}

const json = async (response: Response): Promise<JsonResponse> => {
  const text = await response.text()
  return { status: response.status, headers: response.headers, body: text === "" ? {} : JSON.parse(text) }
}

/** POST a form to an endpoint, authenticating confidential clients with HTTP Basic and public ones by client_id. */
export const postForm = async (
  url: string,
  client: DevClient,
  params: Record<string, string>,
): Promise<JsonResponse> => {
  const headers: Record<string, string> = { "content-type": "application/x-www-form-urlencoded" }
  const body = new URLSearchParams(params)
  if (client.clientSecret === undefined) body.set("client_id", client.clientId)
  else headers.authorization = basic(client)
  return json(await fetch(url, { method: "POST", headers, body }))
}

export const tokenRequest = (server: DevServer, client: DevClient, params: Record<string, string>) =>
  postForm(`${server.issuer}/token`, client, params)

export const getResource = async (
  server: DevServer,
  path: string,
  accessToken?: string,
): Promise<JsonResponse> =>
  json(
    await fetch(`${server.issuer}${path}`, {
      headers: accessToken === undefined ? {} : { authorization: `Bearer ${accessToken}` },
    }),
  )

export const sleep = (ms: number) => new Promise((resolve) => setTimeout(resolve, ms))

export const callbackParams = (callbackUrl: string) => new URL(callbackUrl).searchParams
