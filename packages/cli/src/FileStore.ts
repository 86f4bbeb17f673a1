/**
 * A credential store on disk, for command-line programs: one JSON file per key (a profile name)
 * in `$XDG_CONFIG_HOME/grantflow`, mode 0600 in a 0700 folder, replaced atomically, and a lock
 * file per key so that two processes renewing the same credentials never interleave.
 *
 * @module
 */
import { chmod, mkdir, readFile, rm, stat } from "node:fs/promises"
import { join } from "node:path"
import { type CredentialStore, type Credentials, decodeCredentials, PersistenceError } from "@grantflow/core"
import * as Effect from "effect/Effect"
import * as Option from "effect/Option"
import { acquireLock, defaultLockTimeoutMs, writeFileAtomic } from "./internal/atomicFile.js"
import { defaultDirectory, fileNameOf } from "./internal/configDirectory.js"

/** What {@link fileStore} takes. */
export interface FileStoreOptions {
  /** The folder; default `$XDG_CONFIG_HOME/grantflow` (or `~/.config/grantflow`). */
  readonly directory?: string | undefined
  /** How long `withLock` waits for another process holding the key. Default 30 s. */
  readonly lockTimeoutMs?: number | undefined
}

/** A file store: the core's store service, and where it keeps its files. */
export interface FileStore extends CredentialStore.CredentialStoreService {
  readonly directory: string
  /** The path of the file for `key`. */
  readonly pathOf: (key: string) => Promise<string>
}

const failed = (cause: unknown) => new PersistenceError({ reason: "Store", cause })

/**
 * Makes the folder 0700, also when it existed with a wider mode: credentials must not be
 * readable by other users, and a wide folder lets them swap files in.
 */
const ensureDirectory = async (directory: string) => {
  await mkdir(directory, { recursive: true, mode: 0o700 })
  if (process.platform !== "win32" && ((await stat(directory)).mode & 0o077) !== 0) {
    await chmod(directory, 0o700)
  }
}

/**
 * A credential store of JSON files, one per key, for the CLI and scripts. Each write is atomic
 * (temp file, fsync, rename, fsync of the folder): a process killed at any moment leaves the old
 * credentials or the new ones, never a broken file. `withLock` holds `<key>.lock`, so renewals
 * by several processes run one at a time; a lock left by a killed process is taken over.
 *
 * @example
 * ```ts
 * const source = await loopbackLogin({ provider, clientId, store: fileStore(), storeKey: "default" })
 * ```
 * @see https://www.rfc-editor.org/rfc/rfc8252#section-8.6
 */
export const fileStore = (options: FileStoreOptions = {}): FileStore => {
  const directory = options.directory ?? defaultDirectory()
  const pathOf = async (key: string) => join(directory, `${await fileNameOf(key)}.json`)
  const attempt = <A>(run: () => Promise<A>) => Effect.tryPromise({ try: run, catch: failed })
  return {
    directory,
    pathOf,
    get: (key) =>
      Effect.flatMap(
        attempt(async () => {
          try {
            return Option.some(JSON.parse(await readFile(await pathOf(key), "utf8")) as unknown)
          } catch (error) {
            if ((error as NodeJS.ErrnoException).code === "ENOENT") return Option.none()
            throw error
          }
        }),
        Option.match({
          onNone: () => Effect.succeed(Option.none<Credentials>()),
          onSome: (json) =>
            Effect.mapBoth(decodeCredentials(json), { onFailure: failed, onSuccess: Option.some }),
        }),
      ),
    set: (key, credentials) =>
      attempt(async () => {
        await ensureDirectory(directory)
        writeFileAtomic(await pathOf(key), `${JSON.stringify(credentials, null, 2)}\n`)
      }),
    remove: (key) => attempt(async () => rm(await pathOf(key), { force: true })),
    withLock: (key, effect) =>
      Effect.acquireUseRelease(
        attempt(async () => {
          await ensureDirectory(directory)
          return acquireLock(
            join(directory, `${await fileNameOf(key)}.lock`),
            options.lockTimeoutMs ?? defaultLockTimeoutMs,
          )
        }),
        () => effect,
        (release) => Effect.promise(release),
      ),
  }
}
