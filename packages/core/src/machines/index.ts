/**
 * The flow machines, exported so other libraries can embed, inspect, visualise and test them.
 * Each names its side effects as actors (`renew`, `persist`, `exchangeCode`, `revoke`, ...) to be
 * supplied with `machine.provide({ actors })`.
 *
 * @module
 */
import { authorizationCodeMachine, type CallbackReceived } from "./authorizationCode.js"
import { clientCredentialsMachine } from "./clientCredentials.js"
import { deviceAuthorizationMachine } from "./deviceAuthorization.js"
import type { RenewalEvent } from "./lifecycle.js"
import { savedCredentialsMachine } from "./savedCredentials.js"
import { type CredentialsReplaced, staticTokenMachine } from "./staticToken.js"

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

/**
 * Any grantflow flow machine: each holds at least a `FlowContext` and accepts its own events
 * (a machine ignores the events of the others).
 *
 * @see https://www.rfc-editor.org/rfc/rfc6749#section-1.5
 */
export type FlowMachine = (typeof machines)[keyof typeof machines]

/** Every event a flow machine may be sent; each machine ignores those of the others. */
export type FlowEvent = RenewalEvent | CallbackReceived | CredentialsReplaced

export type {
  AuthorizationCodeContext,
  AuthorizationCodeEvent,
  AuthorizationCodeInput,
  CallbackReceived,
} from "./authorizationCode.js"
export type { DeviceAuthorizationContext, DeviceCode } from "./deviceAuthorization.js"
export type {
  AccessTokenRequested,
  FlowContext,
  Held,
  Obtained,
  Outcome,
  RenewalContext,
  RenewalEvent,
  RenewalInput,
  Unauthorized,
} from "./lifecycle.js"
export type { CredentialsReplaced, StaticTokenEvent, StaticTokenInput } from "./staticToken.js"
