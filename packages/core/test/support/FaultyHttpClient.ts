/**
 * An in-process HttpClient that plays a script of responses and faults, for fault injection
 * only: timeouts, dropped connections, broken bodies and misbehaving servers that a real server
 * will not produce on demand. Integration tests talk to the real dev-server instead.
 *
 * Every request is recorded (method, url, headers, decoded form body) so tests can assert how
 * many were sent and what they carried.
 *
 * @module
 */
import * as HttpClient from "@effect/platform/HttpClient"
import * as HttpClientError from "@effect/platform/HttpClientError"
import type * as HttpClientRequest from "@effect/platform/HttpClientRequest"
import * as HttpClientResponse from "@effect/platform/HttpClientResponse"
import type * as Duration from "effect/Duration"
import * as Effect from "effect/Effect"

/** One scripted answer. */
export type Step =
  | {
      readonly _tag: "Respond"
      readonly status: number
      readonly body?: string | undefined
      readonly headers?: Readonly<Record<string, string>> | undefined
    }
  | { readonly _tag: "Drop" }
  | { readonly _tag: "Hang" }
  | { readonly _tag: "Delay"; readonly duration: Duration.DurationInput; readonly then: Step }
  | { readonly _tag: "BreakBody"; readonly status: number; readonly partial: string }

/** Answers with a status, an optional body and headers. */
export const respond = (status: number, body?: string, headers?: Readonly<Record<string, string>>): Step => ({
  _tag: "Respond",
  status,
  body,
  headers,
})

/** Answers with a JSON body. */
export const json = (status: number, body: unknown, headers?: Readonly<Record<string, string>>): Step =>
  respond(status, JSON.stringify(body), { "content-type": "application/json", ...headers })

/** The connection fails before any response, as fetch reports a reset socket. */
export const drop: Step = { _tag: "Drop" }

/** The server never answers. */
export const hang: Step = { _tag: "Hang" }

/** Waits (on the Clock, so TestClock drives it) before taking the step. */
export const delay = (duration: Duration.DurationInput, then: Step): Step => ({
  _tag: "Delay",
  duration,
  then,
})

/** Sends the status and the start of a body, then breaks the connection. */
export const breakBody = (status: number, partial: string): Step => ({ _tag: "BreakBody", status, partial })

/** What the fake saw of one request. */
export interface RecordedRequest {
  readonly method: string
  readonly url: string
  readonly headers: Readonly<Record<string, string>>
  readonly body: string
  /** The body decoded as application/x-www-form-urlencoded. */
  readonly form: Readonly<Record<string, string>>
  /** Parameter names in body order, repeats included. */
  readonly formNames: ReadonlyArray<string>
}

/** The fake and what it recorded. */
export interface FaultyHttpClient {
  readonly client: HttpClient.HttpClient
  readonly requests: ReadonlyArray<RecordedRequest>
}

/**
 * A client that takes the script's steps in order, one per request; once the script runs out it
 * repeats the last step (a persistent fault).
 */
export const make = (script: ReadonlyArray<Step>): FaultyHttpClient => {
  if (script.length === 0) throw new Error("FaultyHttpClient needs at least one step")
  const requests: Array<RecordedRequest> = []
  const client = HttpClient.make((request) => {
    const step = script[Math.min(requests.length, script.length - 1)]!
    requests.push(record(request))
    return play(request, step)
  })
  return { client, requests }
}

const play = (
  request: HttpClientRequest.HttpClientRequest,
  step: Step,
): Effect.Effect<HttpClientResponse.HttpClientResponse, HttpClientError.HttpClientError> => {
  switch (step._tag) {
    case "Respond":
      return Effect.sync(() =>
        HttpClientResponse.fromWeb(
          request,
          new Response(step.body ?? null, { status: step.status, headers: { ...step.headers } }),
        ),
      )
    case "Drop":
      return Effect.fail(
        new HttpClientError.RequestError({
          request,
          reason: "Transport",
          cause: new TypeError("socket hang up"),
        }),
      )
    case "Hang":
      return Effect.never
    case "Delay":
      return Effect.zipRight(Effect.sleep(step.duration), play(request, step.then))
    case "BreakBody":
      return Effect.sync(() => {
        const body = new ReadableStream<Uint8Array>({
          pull(controller) {
            controller.enqueue(new TextEncoder().encode(step.partial))
            controller.error(new TypeError("terminated"))
          },
        })
        return HttpClientResponse.fromWeb(request, new Response(body, { status: step.status }))
      })
  }
}

const record = (request: HttpClientRequest.HttpClientRequest): RecordedRequest => {
  const body = request.body._tag === "Uint8Array" ? new TextDecoder().decode(request.body.body) : ""
  const params = new URLSearchParams(body)
  return {
    method: request.method,
    url: request.url,
    headers: { ...request.headers },
    body,
    form: Object.fromEntries(params),
    formNames: [...params.keys()],
  }
}
