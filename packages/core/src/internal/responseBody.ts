import type * as HttpClientResponse from "@effect/platform/HttpClientResponse"
import * as Effect from "effect/Effect"
import * as Either from "effect/Either"
import * as Option from "effect/Option"
import * as Stream from "effect/Stream"
import { MalformedResponse, TransportError } from "../Errors.js"

/** Responses we read are small JSON documents; anything bigger is refused before it is buffered. */
export const maxBodyBytes = 1024 * 1024

/**
 * A response that reads its own body under a cap, more cheaply than through its `stream` (the
 * Node layer's undici responses): the bytes, or `undefined` once the body passed `maxBytes`
 * (the body is then abandoned with its connection).
 */
export const readCapped: unique symbol = Symbol.for("@grantflow/core/readCapped")

interface CappedReader {
  readonly [readCapped]: (maxBytes: number) => Effect.Effect<Uint8Array | undefined, unknown>
}

const hasCappedReader = (response: object): response is CappedReader => readCapped in response

/** The body as bytes, or the reason it was refused. */
type BodyError = MalformedResponse | TransportError

const textDecoder = new TextDecoder()

/**
 * Reads a response body, never holding more than {@link maxBodyBytes} of it, whatever
 * HttpClient layer produced the response. `url` names the endpoint in a {@link TransportError}
 * when the body breaks off; it defaults to `source`.
 *
 * A declared Content-Length over the cap fails at once. A declared length under it, without a
 * Content-Encoding, is read in one call (HTTP framing ends the body there, and it is the cheap
 * path every real token response takes); anything else (chunked, or compressed, which `fetch`
 * inflates behind the declared length) is streamed with a running total and abandoned, connection
 * and all, the moment the total passes the cap.
 */
export const readBodyBytes = (
  response: HttpClientResponse.HttpClientResponse,
  source: string,
  url: string = source,
): Effect.Effect<Uint8Array, BodyError> => {
  // Built when needed: an error captures a stack, which every successful read would pay for.
  const tooLarge = () => new MalformedResponse({ reason: "TooLarge", source, status: response.status })
  const broken = (cause: unknown) => new TransportError({ reason: "Network", url, cause })
  const declared = Number(response.headers["content-length"] ?? Number.NaN)
  const encoded = (response.headers["content-encoding"] ?? "identity").toLowerCase() !== "identity"
  if (Number.isFinite(declared) && declared > maxBodyBytes) {
    // Pulling the first chunk and stopping closes the connection instead of draining it.
    return Effect.zipRight(Effect.ignore(Stream.runHead(response.stream)), Effect.fail(tooLarge()))
  }
  if (Number.isFinite(declared) && !encoded) {
    return response.arrayBuffer.pipe(
      Effect.map((buffer) => new Uint8Array(buffer)),
      Effect.catchAll((error) =>
        // A response without a body is a complete (empty) answer, not a network failure.
        error.reason === "EmptyBody" ? Effect.succeed(new Uint8Array(0)) : Effect.fail(broken(error.cause)),
      ),
    )
  }
  if (hasCappedReader(response)) {
    return Effect.flatMap(Effect.mapError(response[readCapped](maxBodyBytes), broken), (bytes) =>
      bytes === undefined ? Effect.fail(tooLarge()) : Effect.succeed(bytes),
    )
  }
  // A pull loop rather than Stream.runForEach: it costs about half as much on a one-chunk body.
  return Effect.scoped(
    Effect.gen(function* () {
      const pull = yield* Stream.toPull(response.stream)
      const chunks: Array<Uint8Array> = []
      let size = 0
      while (true) {
        const next = yield* Effect.either(pull)
        if (Either.isLeft(next)) {
          if (Option.isNone(next.left)) break
          const error = next.left.value
          // A response without a body is a complete (empty) answer, not a network failure.
          if (error.reason === "EmptyBody") break
          return yield* broken(error.cause ?? error.reason)
        }
        for (const chunk of next.right) {
          size += chunk.length
          // Failing here closes the scope, which cancels the body and drops its connection.
          if (size > maxBodyBytes) return yield* tooLarge()
          chunks.push(chunk)
        }
      }
      return concat(chunks, size)
    }),
  )
}

const concat = (chunks: ReadonlyArray<Uint8Array>, size: number): Uint8Array => {
  if (chunks.length === 1) return chunks[0]!
  const bytes = new Uint8Array(size)
  let offset = 0
  for (const chunk of chunks) {
    bytes.set(chunk, offset)
    offset += chunk.length
  }
  return bytes
}

/** {@link readBodyBytes} decoded as UTF-8 text. */
export const readTextBody = (
  response: HttpClientResponse.HttpClientResponse,
  source: string,
  url: string = source,
): Effect.Effect<string, BodyError> =>
  Effect.map(readBodyBytes(response, source, url), (bytes) => textDecoder.decode(bytes))

/**
 * Reads a response body as JSON within the size cap of {@link readBodyBytes}; a body that is not
 * JSON is `MalformedResponse` `NotJson`.
 */
export const readJsonBody = (
  response: HttpClientResponse.HttpClientResponse,
  source: string,
  url: string = source,
): Effect.Effect<unknown, BodyError> =>
  Effect.flatMap(readTextBody(response, source, url), (text) =>
    Effect.try({
      try: (): unknown => JSON.parse(text),
      catch: () => new MalformedResponse({ reason: "NotJson", source, status: response.status }),
    }),
  )

/**
 * Reads and drops a body the caller has no use for (a 2xx revocation, a 429, a 404 on the way to
 * the next document), so the connection goes back to the pool; a body over the cap closes it.
 */
export const discardBody = (response: HttpClientResponse.HttpClientResponse): Effect.Effect<void> =>
  Effect.ignore(readBodyBytes(response, "discarded"))

/** The endpoint URL without its query, for error messages: queries may carry API keys. */
export const describeUrl = (url: string): string => {
  try {
    const parsed = new URL(url)
    return `${parsed.origin}${parsed.pathname}`
  } catch {
    return "the endpoint"
  }
}
