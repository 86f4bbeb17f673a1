import type * as HttpClientResponse from "@effect/platform/HttpClientResponse"
import * as Chunk from "effect/Chunk"
import * as Effect from "effect/Effect"
import * as Stream from "effect/Stream"
import { MalformedResponse, TransportError } from "../Errors.js"

/** Responses we read are small JSON documents; anything bigger is refused before it is buffered. */
export const maxBodyBytes = 1024 * 1024

/**
 * Reads a response body as JSON, refusing bodies over {@link maxBodyBytes} (by Content-Length
 * when given, and by counting while streaming when not) and non-JSON bodies. `url` names the
 * endpoint in a {@link TransportError} when the body breaks off; it defaults to `source`.
 */
export const readJsonBody = (
  response: HttpClientResponse.HttpClientResponse,
  source: string,
  url: string = source,
): Effect.Effect<unknown, MalformedResponse | TransportError> => {
  const tooLarge = new MalformedResponse({ reason: "TooLarge", source, status: response.status })
  const declared = Number(response.headers["content-length"])
  if (Number.isFinite(declared) && declared > maxBodyBytes) return Effect.fail(tooLarge)
  return response.stream.pipe(
    // A response without a body is a complete (empty, so not JSON) answer, not a network failure.
    Stream.catchAll((error) =>
      error.reason === "EmptyBody"
        ? Stream.empty
        : Stream.fail(new TransportError({ reason: "Network", url, cause: error.cause ?? error.reason })),
    ),
    Stream.runFoldEffect(
      { size: 0, chunks: Chunk.empty<Uint8Array>() },
      (acc, chunk): Effect.Effect<{ size: number; chunks: Chunk.Chunk<Uint8Array> }, MalformedResponse> => {
        const size = acc.size + chunk.length
        return size > maxBodyBytes
          ? Effect.fail(tooLarge)
          : Effect.succeed({ size, chunks: Chunk.append(acc.chunks, chunk) })
      },
    ),
    Effect.flatMap(({ size, chunks }) => {
      const bytes = new Uint8Array(size)
      let offset = 0
      for (const chunk of chunks) {
        bytes.set(chunk, offset)
        offset += chunk.length
      }
      return Effect.try({
        try: (): unknown => JSON.parse(new TextDecoder().decode(bytes)),
        catch: () => new MalformedResponse({ reason: "NotJson", source, status: response.status }),
      })
    }),
  )
}

/** The endpoint URL without its query, for error messages: queries may carry API keys. */
export const describeUrl = (url: string): string => {
  try {
    const parsed = new URL(url)
    return `${parsed.origin}${parsed.pathname}`
  } catch {
    return "the endpoint"
  }
}
