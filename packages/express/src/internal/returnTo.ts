/**
 * A `returnTo` kept only when it stays on this app: a path starting with a single `/`, with no
 * backslash or control character (browsers read `/\evil` and `//evil` as another host), that
 * resolves to the app's own origin. Anything else returns to `/`.
 *
 * @see https://www.rfc-editor.org/rfc/rfc9700#section-4.11
 */
export const safeReturnTo = (value: unknown, origin: string): string => {
  if (typeof value !== "string" || value.length > 2048) return "/"
  if (!value.startsWith("/") || value.startsWith("//")) return "/"
  // biome-ignore lint/suspicious/noControlCharactersInRegex: control characters are what is refused
  if (/[\\\u0000-\u001f\u007f]/.test(value)) return "/"
  const resolved = URL.parse(value, origin)
  if (resolved === null || resolved.origin !== origin) return "/"
  return `${resolved.pathname}${resolved.search}${resolved.hash}`
}
