/**
 * A login from a terminal with no browser at hand (SSH, containers, TVs): the device
 * authorization grant, as `gh auth login` and `az login --use-device-code` do it.
 *
 * @module
 */
import {
  type DeviceAuthorizationOptions,
  deviceAuthorization,
  type PlatformOptions,
  type TokenSource,
} from "@grantflow/core"

/** What {@link deviceLogin} takes: the core's device flow options; `onPrompt` shows the code. */
export type DeviceLoginOptions<Scope extends string> = DeviceAuthorizationOptions<Scope> & PlatformOptions

/**
 * Logs a user in with a device code: `onPrompt` gets the user code and where to enter it; the
 * promise settles once the user approved (or refused: `AuthorizationDenied`; or let the code
 * expire: `DeviceCodeExpired`).
 *
 * @example
 * ```ts
 * const source = await deviceLogin({
 *   provider, clientId,
 *   onPrompt: ({ userCode, verificationUri }) => console.error(`Enter ${userCode} at ${verificationUri}`),
 * })
 * ```
 * @see https://www.rfc-editor.org/rfc/rfc8628#section-3
 */
export const deviceLogin = <Scope extends string>(options: DeviceLoginOptions<Scope>): Promise<TokenSource> =>
  deviceAuthorization(options)
