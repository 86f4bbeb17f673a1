/**
 * The OS's secret store (macOS Keychain, Windows Credential Manager, the Secret Service on Linux
 * desktops) through `@napi-rs/keyring`, an optional dependency, with the file store as the
 * fallback wherever no keychain answers (CI, SSH, containers), as `gh` does.
 *
 * @module
 */
import { type CredentialStore, decodeCredentials, PersistenceError } from "@grantflow/core"
import * as Effect from "effect/Effect"
import * as Option from "effect/Option"
import { type FileStore, type FileStoreOptions, fileStore } from "./FileStore.js"

/** The part of `@napi-rs/keyring` the store uses. */
export interface Keyring {
  readonly Entry: new (
    service: string,
    account: string,
    options?: { readonly linux?: { readonly store?: "secret-service" | "keyutils" } },
  ) => {
    getPassword(): string | null | undefined
    setPassword(password: string): void
    deletePassword(): boolean
  }
}

/** Where a profile's credentials are kept. */
export type StoreKind = "keychain" | "file"

/** The keychain's service name; the account is the store key (the profile). */
const service = "grantflow"
// On Linux only the Secret Service is a keychain: the kernel keyring (keyutils) that
// @napi-rs/keyring falls back to forgets everything at logout or reboot.
const entryOptions = { linux: { store: "secret-service" } } as const

const failed = (cause: unknown) => new PersistenceError({ reason: "Store", cause })

/**
 * A store whose records live in the OS keychain. The keychain has no lock between processes,
 * so `withLock` is the file store's lock file.
 *
 * @see https://www.rfc-editor.org/rfc/rfc8252#section-8.6
 */
export const keychainStore = (keyring: Keyring, files: FileStore): CredentialStore.CredentialStoreService => {
  const entry = (key: string) => new keyring.Entry(service, key, entryOptions)
  return {
    get: (key) =>
      Effect.flatMap(
        Effect.try({ try: () => entry(key).getPassword() ?? undefined, catch: failed }),
        (text) =>
          text === undefined
            ? Effect.succeed(Option.none())
            : Effect.try({ try: () => JSON.parse(text) as unknown, catch: failed }).pipe(
                Effect.flatMap((json) => Effect.mapError(decodeCredentials(json), failed)),
                Effect.map(Option.some),
              ),
      ),
    set: (key, credentials) =>
      Effect.try({ try: () => entry(key).setPassword(JSON.stringify(credentials)), catch: failed }),
    remove: (key) => Effect.try({ try: () => void entry(key).deletePassword(), catch: failed }),
    withLock: files.withLock,
  }
}

/** Loads `@napi-rs/keyring` when it is installed (it is optional); `undefined` otherwise. */
export const loadKeyring = async (): Promise<Keyring | undefined> => {
  try {
    return (await import("@napi-rs/keyring")) as unknown as Keyring
  } catch {
    return undefined
  }
}

/** A chosen store and its kind, for `grantflow status` to say which one is in use. */
export interface ChosenStore {
  readonly kind: StoreKind
  readonly store: CredentialStore.CredentialStoreService
  readonly files: FileStore
}

/**
 * The keychain when one answers a read, else the file store. `keyring: null` forces the file
 * store; a given module replaces the installed one (tests).
 *
 * @see https://www.rfc-editor.org/rfc/rfc8252#section-8.6
 */
export const chooseStore = async (
  options: FileStoreOptions & {
    readonly keyring?: Keyring | null | undefined
    readonly kind?: StoreKind
  } = {},
): Promise<ChosenStore> => {
  const files = fileStore(options)
  if (options.kind === "file" || options.keyring === null) return { kind: "file", store: files, files }
  const keyring = options.keyring ?? (await loadKeyring())
  if (keyring !== undefined) {
    try {
      new keyring.Entry(service, "grantflow-probe", entryOptions).getPassword()
      return { kind: "keychain", store: keychainStore(keyring, files), files }
    } catch {
      // No keychain answers here (no D-Bus session, a locked or absent store): use the files.
    }
  }
  return { kind: "file", store: files, files }
}
