import * as Either from "effect/Either"
import * as Redacted from "effect/Redacted"
import { ConfigError } from "../Errors.js"
import type { Provider } from "../Provider.js"
import { encodeBase64Url } from "./base64url.js"
import type { CredentialsListener, FlowConfig } from "./flowEffects.js"
import { defaultMarginMs } from "./renewal.js"

// Random bytes drawn in batches: one `getRandomValues` call costs ~20 µs in Node 20, more than
// the rest of a source's creation. Each byte is handed out once.
const pool = new Uint8Array(4096)
let taken = pool.length

/** 128 random bits for identifiers that must not collide (grant ids, private store keys). */
export const randomId = (): string => {
  if (taken + 16 > pool.length) {
    crypto.getRandomValues(pool)
    taken = 0
  }
  taken += 16
  return encodeBase64Url(pool.subarray(taken - 16, taken))
}

/** A client secret, plain or as Effect's `Redacted` (which keeps it out of logs). */
export type ClientSecret = string | Redacted.Redacted<string>

/** Options every flow that talks to a provider shares. */
export interface ProviderFlowOptions<Scope extends string = string> {
  readonly provider: Provider<Scope>
  readonly clientId: string
  /** Absent for public clients (SPAs, CLIs, mobile apps), which use PKCE instead. */
  readonly clientSecret?: ClientSecret | undefined
  readonly scopes?: ReadonlyArray<NoInfer<Scope>> | undefined
  /** Renew this long before expiry (never more than half the token's lifetime). Default 60 s. */
  readonly renewalMarginMs?: number | undefined
  /**
   * The credential store key. By default each source has a key of its own that no other source
   * shares. With an explicit key, sources of the same grant share renewals, and a record of
   * another grant under the key is neither adopted nor removed.
   */
  readonly storeKey?: string | undefined
  /** Awaited with new credentials before any caller gets them; a failure is the caller's error. */
  readonly onCredentialsRefreshed?: CredentialsListener | undefined
}

/** Validates options into the configuration the flow's actors use. */
export const flowConfig = <Scope extends string>(
  options: ProviderFlowOptions<Scope>,
  renewsWith: FlowConfig["renewsWith"],
  grantId: string,
): Either.Either<FlowConfig, ConfigError> => {
  if (options.clientId === "") return Either.left(new ConfigError({ reason: "clientId must not be empty." }))
  const secret = options.clientSecret
  const clientSecret = secret === undefined || Redacted.isRedacted(secret) ? secret : Redacted.make(secret)
  if (clientSecret !== undefined && Redacted.value(clientSecret) === "") {
    return Either.left(
      new ConfigError({ reason: "clientSecret must not be empty; omit it for a public client." }),
    )
  }
  const marginMs = options.renewalMarginMs ?? defaultMarginMs
  if (!Number.isFinite(marginMs) || marginMs < 0) {
    return Either.left(new ConfigError({ reason: "renewalMarginMs must be a non-negative number." }))
  }
  return Either.right({
    provider: options.provider,
    client: { clientId: options.clientId, clientSecret },
    scopes: [...(options.scopes ?? [])],
    // One user's credentials must never reach another's source: a default key is never shared.
    storeKey: options.storeKey ?? `${options.provider.tokenEndpoint}#${options.clientId}#${randomId()}`,
    privateKey: options.storeKey === undefined,
    grantId,
    marginMs,
    renewsWith,
    onCredentialsRefreshed: options.onCredentialsRefreshed,
  })
}
