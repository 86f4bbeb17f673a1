import { fileURLToPath } from "node:url"
import ts from "typescript"
import { describe, expect, it } from "vitest"

// The compiler's own words for common mistakes, read from a real program over the sources: they
// must name the types (`SpotifyScope`), not print Spotify's 25-scope union first.
const config = fileURLToPath(new URL("../tsconfig.test.json", import.meta.url))
const snippetPath = fileURLToPath(new URL("./__mistakes__.ts", import.meta.url))

const diagnosticsOf = (snippet: string): Array<string> => {
  const parsed = ts.getParsedCommandLineOfConfigFile(
    config,
    {},
    { ...ts.sys, onUnRecoverableConfigFileDiagnostic: () => {} },
  )
  if (parsed === undefined) throw new Error("tsconfig.test.json did not parse")
  const host = ts.createCompilerHost(parsed.options)
  const readFile = host.readFile.bind(host)
  host.readFile = (path) => (path === snippetPath ? snippet : readFile(path))
  const fileExists = host.fileExists.bind(host)
  host.fileExists = (path) => path === snippetPath || fileExists(path)
  const program = ts.createProgram({
    rootNames: [snippetPath],
    options: { ...parsed.options, composite: false, incremental: false, noEmit: true },
    host,
  })
  return program
    .getSemanticDiagnostics(program.getSourceFile(snippetPath))
    .map((diagnostic) => ts.flattenDiagnosticMessageText(diagnostic.messageText, "\n"))
}

describe("compiler messages for the public API's mistakes", () => {
  it("a missing clientSecret names the option types, briefly", () => {
    const [credentials, complete] = diagnosticsOf(`
      import { authorizationCode, clientCredentials, providers, type SecretPendingLogin } from "@grantflow/core"
      declare const pending: SecretPendingLogin
      clientCredentials({ provider: providers.spotify, clientId: "id" })
      void authorizationCode.complete({ provider: providers.spotify, clientId: "id", pending, callbackUrl: "/cb" })
    `)
    for (const message of [credentials, complete]) {
      expect(message).toContain("Property 'clientSecret' is missing")
      expect(message).toContain("SpotifyScope")
      expect(message).not.toContain("ugc-image-upload")
      expect(message!.length).toBeLessThan(700)
    }
  }, 60_000)
})
