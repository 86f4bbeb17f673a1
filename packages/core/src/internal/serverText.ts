import { formEncode } from "./formEncoding.js"

/** Server text (an `error_description`) kept in an error: enough to diagnose, too short to flood a log. */
export const maxServerTextLength = 300

const redactedMark = "[redacted]"

// C0 and C1 controls and line separators forge log lines; format characters (bidi overrides,
// zero-width joiners) hide or reorder text, and would split a secret to slip it past redaction.
const lineBreaking = /[\p{Cc}\u2028\u2029]+/gu
const invisible = /\p{Cf}+/gu

/**
 * The spellings under which a server may echo a value it was sent: raw, form-encoded (an echoed
 * request body), percent-encoded and JSON-escaped.
 */
const spellings = (secret: string): ReadonlyArray<string> => [
  secret,
  formEncode(secret),
  encodeURIComponent(secret),
  JSON.stringify(secret).slice(1, -1),
]

/**
 * Makes server text safe to put in an error message: every spelling of every secret the request
 * carried is replaced, control and format characters become a space, and the result is cut at
 * `maxLength` characters. Secrets are replaced before the cut, so no prefix of one survives it.
 */
export const sanitizeServerText = (
  text: string,
  secrets: ReadonlyArray<string>,
  maxLength: number = maxServerTextLength,
): string => {
  const variants = [...new Set(secrets.filter((secret) => secret !== "").flatMap(spellings))]
    // Longest first, so a secret that contains another is replaced whole.
    .sort((a, b) => b.length - a.length)
  const redact = (value: string) =>
    variants.reduce((result, variant) => result.split(variant).join(redactedMark), value)
  // Redacting again once invisible characters are gone catches a secret split by one of them.
  const cleaned = redact(redact(text).replace(invisible, "")).replace(lineBreaking, " ")
  return cleaned.length <= maxLength ? cleaned : `${cleaned.slice(0, maxLength - 1)}…`
}
