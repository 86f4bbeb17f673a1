/**
 * The HttpClient core uses in Node: undici's `request` over a keep-alive `Agent`, without the
 * WHATWG fetch machinery that dominates the cost of a small token request on a fast link.
 * Chosen by measurement (`pnpm bench`, figures in `packages/bench/README.md`); browsers and
 * edge runtimes get `httpFetch.ts` through the `#platform/http` import map.
 *
 * Responses are read whole before they are handed back: token, revocation and discovery
 * answers are small, and a consumed body returns its connection to the pool at once.
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

const decodeError = (response: BufferedResponse, cause: unknown) =>
  new HttpClientError.ResponseError({ request: response.request, response, reason: "Decode", cause })

/**
 * A response whose body is already in memory: the accessors decode it on demand, without the
 * WHATWG `Response` that `HttpClientResponse.fromWeb` would need.
 */
class BufferedResponse extends Inspectable.Class implements HttpClientResponse.HttpClientResponse {
  readonly [HttpClientResponse.TypeId]: HttpClientResponse.TypeId = HttpClientResponse.TypeId
  readonly [HttpIncomingMessage.TypeId]: HttpIncomingMessage.TypeId = HttpIncomingMessage.TypeId
  readonly headers: Headers.Headers
  readonly remoteAddress: Option.Option<string> = Option.none()

  constructor(
    readonly request: HttpClientRequest.HttpClientRequest,
    readonly status: number,
    private readonly rawHeaders: Dispatcher.ResponseData["headers"],
    private readonly body: Uint8Array,
  ) {
    super()
    this.headers = Headers.fromInput(rawHeaders)
  }

  get cookies(): Cookies.Cookies {
    const setCookie = this.rawHeaders["set-cookie"]
    return setCookie === undefined ? Cookies.empty : Cookies.fromSetCookie(setCookie)
  }

  get text(): Effect.Effect<string, HttpClientError.ResponseError> {
    return Effect.try({
      try: () => textDecoder.decode(this.body),
      catch: (cause) => decodeError(this, cause),
    })
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
    return Effect.sync(() => new Uint8Array(this.body).buffer)
  }

  get formData(): Effect.Effect<FormData, HttpClientError.ResponseError> {
    return Effect.tryPromise({
      try: () => new Response(new Uint8Array(this.body), { headers: this.headers }).formData(),
      catch: (cause) => decodeError(this, cause),
    })
  }

  get stream(): Stream.Stream<Uint8Array, HttpClientError.ResponseError> {
    return Stream.succeed(this.body)
  }

  toJSON(): unknown {
    return HttpIncomingMessage.inspect(this, {
      _id: "@effect/platform/HttpClientResponse",
      request: this.request.toJSON(),
      status: this.status,
    })
  }
}

const textDecoder = new TextDecoder()

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
        const body = await response.body.bytes()
        return new BufferedResponse(request, response.statusCode, response.headers, body)
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
