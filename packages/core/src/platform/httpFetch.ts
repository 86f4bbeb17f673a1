/**
 * The HttpClient core uses outside Node (browsers, edge runtimes, Deno, Bun): the platform's
 * `fetch`, with no Node built-in on this path.
 *
 * @module
 */
import * as FetchHttpClient from "@effect/platform/FetchHttpClient"
import * as HttpClient from "@effect/platform/HttpClient"
import * as Effect from "effect/Effect"
import * as Layer from "effect/Layer"

/**
 * The default HttpClient wherever `fetch` is the transport: trace headers are not sent to a
 * third-party authorization server (measured in `packages/bench/README.md`), and redirects are
 * not followed: a 307 or 308 would re-send a form body holding secrets to wherever it points, so
 * a redirect comes back as the response it is (like undici's `request` on the Node path).
 * Bodies stay streams: the core reads at most 1 MiB of one and cancels the rest.
 */
export const layer: Layer.Layer<HttpClient.HttpClient> = Layer.effect(
  HttpClient.HttpClient,
  Effect.map(HttpClient.HttpClient, HttpClient.withTracerPropagation(false)),
).pipe(
  Layer.provide(FetchHttpClient.layer),
  Layer.provide(Layer.succeed(FetchHttpClient.RequestInit, { redirect: "manual" })),
)
