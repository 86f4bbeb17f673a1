import { createHmac, timingSafeEqual } from "node:crypto"

/** Attributes of the adapter's cookies; every one is HttpOnly, SameSite=Lax and Path=/. */
export interface CookieAttributes {
  readonly secure: boolean
  /** Seconds; 0 deletes the cookie. */
  readonly maxAge: number
}

/** Reads a `Cookie` header into name → value; the first of duplicate names wins (RFC 6265 §5.4 order). */
export const parseCookies = (header: string | undefined): Map<string, string> => {
  const cookies = new Map<string, string>()
  if (header === undefined) return cookies
  for (const pair of header.split(";")) {
    const eq = pair.indexOf("=")
    if (eq <= 0) continue
    const name = pair.slice(0, eq).trim()
    if (!cookies.has(name)) cookies.set(name, pair.slice(eq + 1).trim())
  }
  return cookies
}

export const serializeCookie = (name: string, value: string, attributes: CookieAttributes): string =>
  [
    `${name}=${value}`,
    "Path=/",
    `Max-Age=${attributes.maxAge}`,
    "HttpOnly",
    "SameSite=Lax",
    ...(attributes.secure ? ["Secure"] : []),
  ].join("; ")

const mac = (key: string, value: string) => createHmac("sha256", key).update(value).digest("base64url")

/** `value.mac`: HMAC-SHA-256 under the app's secret, so a cookie value cannot be forged or altered. */
export const sign = (value: string, key: string): string => `${value}.${mac(key, value)}`

/** The signed value, or undefined when the signature is missing or wrong (compared in constant time). */
export const unsign = (signed: string, key: string): string | undefined => {
  const dot = signed.lastIndexOf(".")
  if (dot <= 0) return undefined
  const value = signed.slice(0, dot)
  const given = Buffer.from(signed.slice(dot + 1))
  const expected = Buffer.from(mac(key, value))
  return given.length === expected.length && timingSafeEqual(given, expected) ? value : undefined
}
