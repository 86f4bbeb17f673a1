import { homedir } from "node:os"
import { join } from "node:path"

/** `$XDG_CONFIG_HOME/grantflow`, or `~/.config/grantflow` (also on macOS, like `gh`). */
export const defaultDirectory = (): string => {
  const xdg = process.env.XDG_CONFIG_HOME
  // The XDG spec ignores a relative XDG_CONFIG_HOME.
  return join(xdg?.startsWith("/") ? xdg : join(homedir(), ".config"), "grantflow")
}

/**
 * The file name of a store key: a profile name as it is; any other key (core's default keys are
 * URLs) as a hash, so that no key can reach outside the folder.
 */
export const fileNameOf = async (key: string): Promise<string> => {
  if (/^[A-Za-z0-9][A-Za-z0-9._-]{0,63}$/.test(key)) return key
  const { createHash } = await import("node:crypto")
  return `key-${createHash("sha256").update(key).digest("hex").slice(0, 32)}`
}
