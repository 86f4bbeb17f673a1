import * as FetchHttpClient from "@effect/platform/FetchHttpClient"
import type * as HttpClient from "@effect/platform/HttpClient"
import type * as HttpClientError from "@effect/platform/HttpClientError"
import type * as HttpClientRequest from "@effect/platform/HttpClientRequest"
import type * as HttpClientResponse from "@effect/platform/HttpClientResponse"
import * as Effect from "effect/Effect"
import * as Option from "effect/Option"

/**
 * Sends one of the core's own requests without following redirects, whatever HttpClient layer
 * the caller provided: a followed 307 re-sends a form body full of secrets to the redirect's
 * target, and a followed 302 adopts another host's answer as the token.
 *
 * `FetchHttpClient` reads its `RequestInit` from the requesting fiber, so `redirect: "manual"` is
 * set here, per request; it replaces a `RequestInit` given to the fetch layer itself (a custom
 * `FetchHttpClient.Fetch` is kept, and is the place for proxies). Undici's `request` (the Node
 * layer) never follows. A client wrapped in `HttpClient.followRedirects` still follows: the
 * response it hands back is then for another URL, which the caller must refuse
 * ({@link wasRedirected}); a 3xx that comes back as itself is refused by the processing steps.
 */
export const executeWithoutRedirects = (
  client: HttpClient.HttpClient,
  request: HttpClientRequest.HttpClientRequest,
): Effect.Effect<HttpClientResponse.HttpClientResponse, HttpClientError.HttpClientError> =>
  Effect.flatMap(Effect.serviceOption(FetchHttpClient.RequestInit), (init) =>
    Effect.provideService(client.execute(request), FetchHttpClient.RequestInit, {
      ...Option.getOrElse(init, () => ({})),
      redirect: "manual",
    }),
  )

/** Whether the response answers another URL than the one requested: a redirect was followed. */
export const wasRedirected = (
  request: HttpClientRequest.HttpClientRequest,
  response: HttpClientResponse.HttpClientResponse,
): boolean => response.request.url !== request.url
