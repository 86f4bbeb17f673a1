/**
 * Browser bundle sizes of the two paths users ship, next to oauth4webapi doing the same: esbuild
 * bundles an entry that imports only what the path needs (platform browser, so the `default`
 * condition picks core's fetch layer), minified, then gzip -9.
 *
 * @module
 */
import { resolve } from "node:path"
import { fileURLToPath } from "node:url"
import { gzipSync } from "node:zlib"
import { build } from "esbuild"

export interface BundleEntry {
  readonly name: string
  readonly source: string
}

export const entries: ReadonlyArray<BundleEntry> = [
  {
    name: "grantflow SPA (authorizationCode + savedCredentials)",
    source: 'export { authorizationCode, savedCredentials } from "@grantflow/core"',
  },
  {
    name: "oauth4webapi SPA equivalent",
    source: `export {
      generateRandomCodeVerifier, calculatePKCECodeChallenge, generateRandomState,
      validateAuthResponse, authorizationCodeGrantRequest,
      processAuthorizationCodeResponse, refreshTokenGrantRequest, processRefreshTokenResponse, None,
    } from "oauth4webapi"`,
  },
  {
    name: "grantflow client credentials",
    source: 'export { clientCredentials } from "@grantflow/core"',
  },
  {
    name: "oauth4webapi client credentials equivalent",
    source:
      'export { clientCredentialsGrantRequest, processClientCredentialsResponse, ClientSecretBasic } from "oauth4webapi"',
  },
]

export interface BundleRow {
  readonly name: string
  readonly minifiedBytes: number
  readonly gzipBytes: number
  /** Minified bytes each package contributes, largest first. */
  readonly byPackage: ReadonlyArray<readonly [string, number]>
}

const packageRoot = fileURLToPath(new URL("..", import.meta.url))

/** Which package an esbuild input path belongs to. */
export const packageOf = (path: string): string => {
  const nodeModules = path.lastIndexOf("node_modules/")
  if (nodeModules !== -1) {
    const rest = path.slice(nodeModules + "node_modules/".length).split("/")
    return rest[0]!.startsWith("@") ? `${rest[0]}/${rest[1]}` : rest[0]!
  }
  if (path.includes("packages/core/")) return "@grantflow/core"
  return "(entry)"
}

// esbuild's metafile paths are relative to its working directory.
const absolute = (path: string): string => (path.startsWith("<") ? path : resolve(packageRoot, path))

export const bundle = async (entry: BundleEntry): Promise<BundleRow> => {
  const result = await build({
    stdin: { contents: entry.source, resolveDir: packageRoot, loader: "js" },
    bundle: true,
    minify: true,
    format: "esm",
    platform: "browser",
    target: "es2022",
    write: false,
    metafile: true,
    absWorkingDir: packageRoot,
    logLevel: "silent",
  })
  const output = result.outputFiles[0]!.contents
  const byPackage = new Map<string, number>()
  for (const out of Object.values(result.metafile.outputs)) {
    for (const [path, input] of Object.entries(out.inputs)) {
      const name = packageOf(absolute(path))
      byPackage.set(name, (byPackage.get(name) ?? 0) + input.bytesInOutput)
    }
  }
  return {
    name: entry.name,
    minifiedBytes: output.byteLength,
    gzipBytes: gzipSync(output, { level: 9 }).byteLength,
    byPackage: [...byPackage].filter(([, bytes]) => bytes > 0).sort((a, b) => b[1] - a[1]),
  }
}

export const measureBundles = async (): Promise<ReadonlyArray<BundleRow>> => {
  const rows: Array<BundleRow> = []
  for (const entry of entries) rows.push(await bundle(entry))
  return rows
}
