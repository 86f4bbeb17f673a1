/**
 * The HttpClient core uses in Node: undici's `request` over a keep-alive `Agent`, without the
 * WHATWG fetch machinery that dominates the cost of a small token request on a fast link.
 * Chosen by measurement (`pnpm bench`, figures in `packages/bench/README.md`); browsers and
 * edge runtimes get `httpFetch.ts` through the `#platform/http` import map.
 *
 * Bodies are streamed, not buffered: the reader decides how much to take (core stops at 1 MiB,
 * see `internal/responseBody.ts`), and a body abandoned part-way is destroyed with its socket, so
 * a server sending 500 MB costs one chunk of memory, not 500 MB.
 *
 * @module
 */
import { Readable } from "node:stream"
import * as Cookies from "@effect/platform/Cookies"
import * as Headers from "@effect/platform/Headers"
import * as HttpClient from "@effect/platform/HttpClient"
import * as HttpClientError from "@effect/platform/HttpClientError"
import type * as HttpClientRequest from "@effect/platform/HttpClientRequest"
import * as HttpClientResponse from "@effect/platform/HttpClientResponse"
import * as HttpIncomingMessage from "@effect/platform/HttpIncomingMessage"
import * as UrlParams from "@effect/platform/UrlParams"
import * as Effect from "effect/Effect"
import * as Inspectable from "effect/Inspectable"
import * as Layer from "effect/Layer"
import * as Option from "effect/Option"
import * as Stream from "effect/Stream"
import { Agent, type Dispatcher } from "undici"

type RequestBody = Exclude<Dispatcher.RequestOptions["body"], undefined>

const requestBody = (request: HttpClientRequest.HttpClientRequest): RequestBody => {
  const body = request.body
  switch (body._tag) {
    case "Empty":
      return null
    case "Raw":
      return body.body as RequestBody
    case "Uint8Array":
      return body.body
    case "FormData":
      return body.formData as unknown as RequestBody
    case "Stream":
      return Readable.from(Stream.toAsyncIterable(body.stream))
  }
}

type ResponseBody = Dispatcher.ResponseData["body"]

const decodeError = (response: StreamingResponse, cause: unknown) =>
  new HttpClientError.ResponseError({ request: response.request, response, reason: "Decode", cause })

/**
 * A response over undici's body stream, without the WHATWG `Response` that
 * `HttpClientResponse.fromWeb` would need. Like any HTTP body it can be read once.
 */
class StreamingResponse extends Inspectable.Class implements HttpClientResponse.HttpClientResponse {
  readonly [HttpClientResponse.TypeId]: HttpClientResponse.TypeId = HttpClientResponse.TypeId
  readonly [HttpIncomingMessage.TypeId]: HttpIncomingMessage.TypeId = HttpIncomingMessage.TypeId
  readonly headers: Headers.Headers
  readonly remoteAddress: Option.Option<string> = Option.none()

  constructor(
    readonly request: HttpClientRequest.HttpClientRequest,
    readonly status: number,
    private readonly rawHeaders: Dispatcher.ResponseData["headers"],
    private readonly body: ResponseBody,
  ) {
    super()
    this.headers = Headers.fromInput(rawHeaders)
  }

  get cookies(): Cookies.Cookies {
    const setCookie = this.rawHeaders["set-cookie"]
    return setCookie === undefined ? Cookies.empty : Cookies.fromSetCookie(setCookie)
  }

  get text(): Effect.Effect<string, HttpClientError.ResponseError> {
    return Effect.tryPromise({ try: () => this.body.text(), catch: (cause) => decodeError(this, cause) })
  }

  get json(): Effect.Effect<unknown, HttpClientError.ResponseError> {
    return Effect.flatMap(this.text, (text) =>
      Effect.try({
        try: () => (text === "" ? null : (JSON.parse(text) as unknown)),
        catch: (cause) => decodeError(this, cause),
      }),
    )
  }

  get urlParamsBody(): Effect.Effect<UrlParams.UrlParams, HttpClientError.ResponseError> {
    return Effect.map(this.text, (text) => UrlParams.fromInput(new URLSearchParams(text)))
  }

  get arrayBuffer(): Effect.Effect<ArrayBuffer, HttpClientError.ResponseError> {
    return Effect.tryPromise({
      try: () => this.body.arrayBuffer(),
      catch: (cause) => decodeError(this, cause),
    })
  }

  get formData(): Effect.Effect<FormData, HttpClientError.ResponseError> {
    return Effect.tryPromise({
      try: async () => new Response(await this.body.arrayBuffer(), { headers: this.headers }).formData(),
      catch: (cause) => decodeError(this, cause),
    })
  }

  /**
   * The body chunk by chunk. Stopping early destroys the body (and its socket) synchronously:
   * an async iterator's `return()` would wait for a chunk that a stalled server never sends.
   */
  get stream(): Stream.Stream<Uint8Array, HttpClientError.ResponseError> {
    const body = this.body
    return Stream.unwrapScoped(
      Effect.map(
        Effect.acquireRelease(
          Effect.sync(() => body[Symbol.asyncIterator]()),
          () => Effect.sync(() => body.destroy()),
        ),
        (chunks) =>
          Stream.repeatEffectOption(
            Effect.tryPromise({
              try: () => chunks.next(),
              catch: (cause) => Option.some(decodeError(this, cause)),
            }).pipe(
              Effect.flatMap((next) =>
                next.done ? Effect.fail(Option.none()) : Effect.succeed(next.value as Uint8Array),
              ),
            ),
          ),
      ),
    )
  }

  toJSON(): unknown {
    return HttpIncomingMessage.inspect(this, {
      _id: "@effect/platform/HttpClientResponse",
      request: this.request.toJSON(),
      status: this.status,
    })
  }
}

// An HttpClient over one undici dispatcher; `layer` owns the dispatcher's lifetime.
const make = (dispatcher: Dispatcher): HttpClient.HttpClient =>
  HttpClient.make((request, url, signal) =>
    Effect.tryPromise({
      try: async () => {
        const response = await dispatcher.request({
          origin: url.origin,
          path: url.pathname + url.search,
          method: request.method,
          headers: request.headers,
          body: requestBody(request),
          signal,
          // Timeouts belong to the caller's Effect (TokenEndpoint's per-request timeout).
          headersTimeout: 0,
          bodyTimeout: 0,
        })
        return new StreamingResponse(request, response.statusCode, response.headers, response.body)
      },
      catch: (cause) => new HttpClientError.RequestError({ request, reason: "Transport", cause }),
    }),
  ).pipe(
    // Spans stay (token calls are worth seeing in a trace); trace headers are not sent to a
    // third-party authorization server.
    HttpClient.withTracerPropagation(false),
  )

/**
 * Node's default HttpClient: keep-alive connections from an undici `Agent` that is destroyed
 * when the layer is released, so no socket keeps the process alive.
 */
export const layer: Layer.Layer<HttpClient.HttpClient> = Layer.scoped(
  HttpClient.HttpClient,
  Effect.map(
    Effect.acquireRelease(
      Effect.sync(() => new Agent()),
      (agent) => Effect.promise(() => agent.destroy()),
    ),
    make,
  ),
)
