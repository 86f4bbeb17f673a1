import { readFile, rm } from "node:fs/promises"
import { join } from "node:path"
import { defineProvider, type Provider, providers } from "@grantflow/core"
import * as Schema from "effect/Schema"
import { writeFileAtomic } from "./atomicFile.js"

/** Profile names double as file names: no dots, no slashes. */
export const profileName = /^[A-Za-z0-9_-]{1,64}$/

/** What `grantflow login` remembers of a profile besides its credentials: nothing secret. */
export const ProfileConfig = Schema.Struct({
  version: Schema.Literal(1),
  provider: Schema.Union(
    Schema.Struct({ preset: Schema.Literal("spotify") }),
    Schema.Struct({
      name: Schema.String,
      issuer: Schema.optional(Schema.String),
      authorizationEndpoint: Schema.String,
      tokenEndpoint: Schema.String,
      revocationEndpoint: Schema.optional(Schema.String),
      deviceAuthorizationEndpoint: Schema.optional(Schema.String),
      tokenEndpointAuthMethod: Schema.Literal("client_secret_basic", "client_secret_post", "none"),
      authorizationResponseIssParameterSupported: Schema.Boolean,
    }),
  ),
  clientId: Schema.NonEmptyString,
  scopes: Schema.Array(Schema.String),
  /** Where `status` learnt who the user is, and what it said. */
  meUrl: Schema.optional(Schema.String),
  user: Schema.optional(Schema.String),
  /** Where the credentials are: the OS keychain, or the file beside this one (the default). */
  store: Schema.optional(Schema.Literal("keychain", "file")),
})
export type ProfileConfig = typeof ProfileConfig.Type

const configPath = (directory: string, profile: string) => join(directory, `${profile}.config.json`)

export const readProfile = async (directory: string, profile: string): Promise<ProfileConfig | undefined> => {
  let text: string
  try {
    text = await readFile(configPath(directory, profile), "utf8")
  } catch (error) {
    if ((error as NodeJS.ErrnoException).code === "ENOENT") return undefined
    throw error
  }
  return Schema.decodeUnknownSync(ProfileConfig)(JSON.parse(text))
}

export const writeProfile = (directory: string, profile: string, config: ProfileConfig): void =>
  writeFileAtomic(configPath(directory, profile), `${JSON.stringify(config, null, 2)}\n`)

export const removeProfile = (directory: string, profile: string) =>
  rm(configPath(directory, profile), { force: true })

export const providerOf = (config: ProfileConfig): Provider =>
  "preset" in config.provider ? providers.spotify : defineProvider(config.provider)

export const storedProvider = (
  provider: Provider,
  preset: "spotify" | undefined,
): ProfileConfig["provider"] =>
  preset !== undefined
    ? { preset }
    : {
        name: provider.name,
        authorizationEndpoint: provider.authorizationEndpoint,
        tokenEndpoint: provider.tokenEndpoint,
        tokenEndpointAuthMethod: provider.tokenEndpointAuthMethod,
        authorizationResponseIssParameterSupported: provider.authorizationResponseIssParameterSupported,
        ...(provider.issuer === undefined ? {} : { issuer: provider.issuer }),
        ...(provider.revocationEndpoint === undefined
          ? {}
          : { revocationEndpoint: provider.revocationEndpoint }),
        ...(provider.deviceAuthorizationEndpoint === undefined
          ? {}
          : { deviceAuthorizationEndpoint: provider.deviceAuthorizationEndpoint }),
      }
