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
import * as FiberRef from "effect/FiberRef"
import * as Inspectable from "effect/Inspectable"
import * as Layer from "effect/Layer"
import * as Option from "effect/Option"
import * as Stream from "effect/Stream"
import type * as Tracer from "effect/Tracer"
import type { Dispatcher } from "undici"
import { readCapped } from "../internal/responseBody.js"

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

  /** Reads the whole body; an interrupted read (a timeout) destroys the body and its socket. */
  private readWhole<A>(read: () => Promise<A>): Effect.Effect<A, HttpClientError.ResponseError> {
    return Effect.async((resume) => {
      read().then(
        (value) => resume(Effect.succeed(value)),
        (cause) => resume(Effect.fail(decodeError(this, cause))),
      )
      return Effect.sync(() => this.body.destroy())
    })
  }

  get text(): Effect.Effect<string, HttpClientError.ResponseError> {
    return this.readWhole(() => this.body.text())
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
    return this.readWhole(() => this.body.arrayBuffer())
  }

  get formData(): Effect.Effect<FormData, HttpClientError.ResponseError> {
    return this.readWhole(async () =>
      new Response(await this.body.arrayBuffer(), { headers: this.headers }).formData(),
    )
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

  /** The body under a cap, without a Stream: see `readCapped` in `internal/responseBody.ts`. */
  [readCapped](maxBytes: number): Effect.Effect<Uint8Array | undefined, unknown> {
    const body = this.body
    return Effect.async((resume) => {
      const chunks: Array<Buffer> = []
      let size = 0
      const detach = () => {
        body.off("data", onData)
        body.off("end", onEnd)
        body.off("error", onError)
      }
      const onData = (chunk: Buffer) => {
        size += chunk.length
        if (size > maxBytes) {
          abandon()
          resume(Effect.succeed(undefined))
          return
        }
        chunks.push(chunk)
      }
      const onEnd = () => {
        detach()
        resume(Effect.succeed(chunks.length === 1 ? chunks[0]! : Buffer.concat(chunks, size)))
      }
      const onError = (cause: unknown) => {
        detach()
        resume(Effect.fail(cause))
      }
      // Destroying the body makes it emit an AbortError that nobody is waiting for any more.
      const abandon = () => {
        detach()
        body.on("error", () => {})
        body.destroy()
      }
      body.on("data", onData)
      body.on("end", onEnd)
      body.on("error", onError)
      // Interrupted (a timeout): the body and its socket go.
      return Effect.sync(abandon)
    })
  }

  toJSON(): unknown {
    return HttpIncomingMessage.inspect(this, {
      _id: "@effect/platform/HttpClientResponse",
      request: this.request.toJSON(),
      status: this.status,
    })
  }
}

// Loaded on the first request, not at import: importing the core costs no HTTP client. undici
// installs its own Agent as the process-wide dispatcher when none is set yet, which Node's own
// `fetch` would then use; touching `Headers` first lets Node install its own, as its first
// `fetch` would have (about 20 ms, once, and only when nothing in the process has used fetch).
let undici: Promise<typeof import("undici")> | undefined
const loadUndici = () => {
  if (undici === undefined) {
    if ((globalThis as Record<symbol, unknown>)[Symbol.for("undici.globalDispatcher.1")] === undefined) {
      void globalThis.Headers
    }
    undici = import("undici")
  }
  return undici
}

/** A keep-alive undici `Agent` made on first use; destroying an unused one costs nothing. */
class LazyAgent {
  #agent: Promise<Dispatcher> | undefined
  get(): Promise<Dispatcher> {
    this.#agent ??= loadUndici().then(({ Agent }) => new Agent())
    return this.#agent
  }
  destroy(): Promise<void> {
    return this.#agent === undefined ? Promise.resolve() : this.#agent.then((agent) => agent.destroy())
  }
}

const send = async (
  agent: LazyAgent,
  request: HttpClientRequest.HttpClientRequest,
  url: URL,
  signal: AbortSignal,
): Promise<HttpClientResponse.HttpClientResponse> => {
  const dispatcher = await agent.get()
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
}

const transportError = (request: HttpClientRequest.HttpClientRequest) => (cause: unknown) =>
  new HttpClientError.RequestError({ request, reason: "Transport", cause })

// Effect's own tracer when nobody installed one: its spans reach no exporter.
let nativeTracer: Tracer.Tracer | undefined

/**
 * An HttpClient over one agent; `layer` owns the agent's lifetime.
 *
 * `HttpClient.make` opens an `http.client` span and aborts an AbortController after every
 * response (a DOMException each time): about a fifth of a token request's CPU in the bench's
 * profile. Its path is kept for when a tracer that records spans is installed; otherwise the
 * request goes straight to undici, and interruption (a timeout) still aborts it and destroys a
 * body being read.
 */
const make = (agent: LazyAgent): HttpClient.HttpClient => {
  const traced = HttpClient.make((request, url, signal) =>
    Effect.tryPromise({ try: () => send(agent, request, url, signal), catch: transportError(request) }),
  ).pipe(
    // Spans stay (token calls are worth seeing in a trace); trace headers are not sent to a
    // third-party authorization server.
    HttpClient.withTracerPropagation(false),
  )
  const direct = (request: HttpClientRequest.HttpClientRequest) => {
    const url = UrlParams.makeUrl(request.url, request.urlParams, request.hash)
    if (url._tag === "Left") {
      return Effect.fail(new HttpClientError.RequestError({ request, reason: "InvalidUrl", cause: url.left }))
    }
    return Effect.tryPromise({
      try: (signal) => send(agent, request, url.right, signal),
      catch: transportError(request),
    })
  }
  return HttpClient.makeWith(
    Effect.flatMap((request: HttpClientRequest.HttpClientRequest) =>
      Effect.withFiberRuntime<HttpClientResponse.HttpClientResponse, HttpClientError.HttpClientError>(
        (fiber) => {
          nativeTracer ??= Effect.runSync(Effect.tracer)
          const tracing =
            fiber.getFiberRef(FiberRef.currentTracerEnabled) && fiber.currentTracer !== nativeTracer
          return tracing ? traced.execute(request) : direct(request)
        },
      ),
    ),
    Effect.succeed<HttpClientRequest.HttpClientRequest>,
  )
}

/**
 * Node's default HttpClient: keep-alive connections from an undici `Agent` that is destroyed
 * when the layer is released, so no socket keeps the process alive.
 */
export const layer: Layer.Layer<HttpClient.HttpClient> = Layer.scoped(
  HttpClient.HttpClient,
  Effect.map(
    Effect.acquireRelease(
      Effect.sync(() => new LazyAgent()),
      (agent) => Effect.promise(() => agent.destroy()),
    ),
    make,
  ),
)
