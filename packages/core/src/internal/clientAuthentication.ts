import * as Either from "effect/Either"
import * as Redacted from "effect/Redacted"
import { ConfigError } from "../Errors.js"
import type { TokenEndpointAuthMethod } from "../Provider.js"
import type { ClientCredentials } from "../TokenEndpoint.js"
import { formEncode } from "./formEncoding.js"

/** What client authentication adds to a token or revocation request. */
export interface ClientAuthentication {
  readonly headers: Readonly<Record<string, string>>
  readonly params: ReadonlyArray<readonly [string, string]>
}

/**
 * Authenticates the client the way the provider expects. Basic form-encodes the id and secret
 * before base64 (RFC 6749 §2.3.1), which servers that skip the decoding step mishandle only for
 * ids or secrets outside `[A-Za-z0-9-._~]`: the spec wins over their bug.
 *
 * A secret given for a provider whose method is `none` is refused rather than dropped: the
 * client is confidential, yet the server would see a public one, and the caller would never
 * learn why its secret had no effect. `offered` (the server's metadata) names the way out.
 */
export const authenticateClient = (
  method: TokenEndpointAuthMethod,
  client: ClientCredentials,
  offered?: ReadonlyArray<string> | undefined,
): Either.Either<ClientAuthentication, ConfigError> => {
  if (client.clientId === "") return Either.left(new ConfigError({ reason: "clientId must not be empty." }))
  if (method === "none" && client.clientSecret !== undefined) {
    const servers =
      offered === undefined
        ? ""
        : ` The server offers: ${offered.length === 0 ? "nothing" : offered.map((m) => JSON.stringify(m).slice(0, 60)).join(", ")}.`
    return Either.left(
      new ConfigError({
        reason: `The provider authenticates clients with none, which sends no secret, yet a clientSecret was given.${servers} Drop the clientSecret for a public client, or set tokenEndpointAuthMethod to client_secret_basic or client_secret_post if the server accepts one.`,
      }),
    )
  }
  if (method === "none") return Either.right({ headers: {}, params: [["client_id", client.clientId]] })
  if (client.clientSecret === undefined) {
    return Either.left(
      new ConfigError({
        reason: `The provider authenticates clients with ${method}, which needs a clientSecret; give one, or set tokenEndpointAuthMethod to "none" for a public client.`,
      }),
    )
  }
  const secret = Redacted.value(client.clientSecret)
  return Either.right(
    method === "client_secret_basic"
      ? { headers: { authorization: `Basic ${basicCredentials(client.clientId, secret)}` }, params: [] }
      : {
          headers: {},
          params: [
            ["client_id", client.clientId],
            ["client_secret", secret],
          ],
        },
  )
}

/** base64(formEncode(id) ":" formEncode(secret)); form encoding leaves only ASCII, so btoa is safe. */
const basicCredentials = (clientId: string, clientSecret: string): string =>
  btoa(`${formEncode(clientId)}:${formEncode(clientSecret)}`)

/** An application/x-www-form-urlencoded body from ordered pairs. */
export const encodeForm = (params: ReadonlyArray<readonly [string, string]>): string =>
  params.map(([name, value]) => `${formEncode(name)}=${formEncode(value)}`).join("&")
