import { InvalidPendingLogin } from "@grantflow/core/Errors"
import * as Either from "effect/Either"
import * as Schema from "effect/Schema"

/** A path on this origin: `/...` but not `//host` or `/\host`, which browsers read as another origin. */
export const isSafeReturnTo = (value: string): boolean =>
  value.startsWith("/") && !value.startsWith("//") && !value.startsWith("/\\") && value.length <= 2048

const PendingEntry = Schema.parseJson(
  Schema.Struct({
    /** The pending login, sealed with the origin's key: the verifier is unreadable in sessionStorage. */
    sealed: Schema.String,
    returnTo: Schema.String.pipe(Schema.filter(isSafeReturnTo)),
  }),
)

const decode = Schema.decodeUnknownEither(PendingEntry)

/** Decodes what `login()` left in sessionStorage; anything else is a malformed pending login. */
export const readPendingEntry = (entry: string): typeof PendingEntry.Type => {
  const decoded = decode(entry)
  if (Either.isLeft(decoded)) throw new InvalidPendingLogin({ reason: "Malformed" })
  return decoded.right
}
