/**
 * The flow machines, exported so other libraries can embed, inspect, visualise and test them.
 * Each names its side effects as actors (`renew`, `persist`, `exchangeCode`, `revoke`) to be
 * supplied with `machine.provide({ actors })`.
 *
 * @module
 */
import { authorizationCodeMachine } from "./authorizationCode.js"
import { clientCredentialsMachine } from "./clientCredentials.js"
import { deviceAuthorizationMachine } from "./deviceAuthorization.js"
import { savedCredentialsMachine } from "./savedCredentials.js"
import { staticTokenMachine } from "./staticToken.js"

/**
 * Every flow machine by name. PKCE is the authorization code machine with a public client: the
 * difference is in what its `exchangeCode` actor sends, not in its states.
 *
 * @see https://www.rfc-editor.org/rfc/rfc6749#section-4
 * @see https://www.rfc-editor.org/rfc/rfc7636#section-4
 * @see https://www.rfc-editor.org/rfc/rfc8628#section-3
 */
export const machines = {
  clientCredentials: clientCredentialsMachine,
  authorizationCode: authorizationCodeMachine,
  pkce: authorizationCodeMachine,
  savedCredentials: savedCredentialsMachine,
  staticToken: staticTokenMachine,
  deviceAuthorization: deviceAuthorizationMachine,
} as const

export * from "./lifecycle.js"
