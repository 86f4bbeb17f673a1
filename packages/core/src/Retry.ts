/**
 * When and how long to wait before sending a failed token or revocation request again, as an
 * Effect `Schedule` over the error.
 *
 * @module
 */
import * as Duration from "effect/Duration"
import * as Predicate from "effect/Predicate"
import * as Schedule from "effect/Schedule"

/**
 * How many times to retry, and how long to wait.
 *
 * @see https://www.rfc-editor.org/rfc/rfc9110#section-10.2.3
 */
export interface RetryOptions {
  /** Retries after the first attempt; `0` turns retrying off. Default 3. */
  readonly maxRetries?: number | undefined
  /** The first backoff delay, doubled on each retry and jittered by ±20 %. Default 250 ms. */
  readonly baseDelay?: Duration.DurationInput | undefined
  /** Caps each backoff delay (a server's Retry-After may still ask for longer). Default 10 s. */
  readonly maxDelay?: Duration.DurationInput | undefined
  /** A Retry-After longer than this is not waited for: the request fails at once. Default 10 s. */
  readonly maxRetryAfter?: Duration.DurationInput | undefined
}

/**
 * The defaults. A token request usually sits in front of a user or an API call, so the whole
 * budget stays short: three retries at about 250 ms, 500 ms and 1 s ride out a blip or a
 * restarting instance in under 2 s, while an outage surfaces in seconds rather than minutes.
 * Waiting out a Retry-After up to 10 s is still shorter than a user's patience; beyond that the
 * caller gets a `RateLimited` error with the server's figure and can decide (a daemon may wait, a
 * web request should not).
 *
 * @see https://www.rfc-editor.org/rfc/rfc6585#section-4
 */
export const defaultRetryOptions = {
  maxRetries: 3,
  baseDelay: Duration.millis(250),
  maxDelay: Duration.seconds(10),
  maxRetryAfter: Duration.seconds(10),
} as const satisfies Required<RetryOptions>

/**
 * Whether another attempt can help: a network failure (a body that broke off included: see
 * `TokenEndpoint.request` for why a refresh may be replayed then), a 5xx (with or without an OAuth
 * error body) or a 429. A timeout is not retried: the first request may still be in flight, and
 * racing it with the same refresh token invites a strict server to revoke the grant. 4xx OAuth
 * errors and malformed responses would only repeat.
 *
 * @see https://www.rfc-editor.org/rfc/rfc6749#section-5.2
 */
export const isRetryable = (error: unknown): boolean => {
  if (Predicate.isTagged(error, "TransportError") || Predicate.isTagged(error, "RateLimited")) return true
  if (Predicate.isTagged(error, "OAuthError")) {
    const status = (error as { readonly status?: unknown }).status
    return typeof status === "number" && status >= 500
  }
  return false
}

const retryAfterMsOf = (error: unknown): number | undefined => {
  if (!Predicate.hasProperty(error, "retryAfterMs")) return undefined
  return typeof error.retryAfterMs === "number" ? error.retryAfterMs : undefined
}

/**
 * The retry policy as a `Schedule` for `Effect.retry`: jittered exponential backoff capped at
 * `maxDelay`, at most `maxRetries` times, never sooner than the error's Retry-After, and stopping
 * at once on an error that is not {@link isRetryable} or asks to wait longer than `maxRetryAfter`.
 * Its output is the number of retries so far.
 *
 * @see https://www.rfc-editor.org/rfc/rfc9110#section-10.2.3
 * @see https://www.rfc-editor.org/rfc/rfc7009#section-2.2.1
 */
export const retrySchedule = <E>(options?: RetryOptions): Schedule.Schedule<number, E> => {
  const maxRetries = Math.max(0, Math.floor(options?.maxRetries ?? defaultRetryOptions.maxRetries))
  const baseDelay = options?.baseDelay ?? defaultRetryOptions.baseDelay
  const maxDelay = Duration.decode(options?.maxDelay ?? defaultRetryOptions.maxDelay)
  const maxRetryAfterMs = Duration.toMillis(options?.maxRetryAfter ?? defaultRetryOptions.maxRetryAfter)
  return Schedule.exponential(baseDelay).pipe(
    Schedule.jittered,
    Schedule.modifyDelay((_, delay) => Duration.min(delay, maxDelay)),
    Schedule.intersect(Schedule.recurs(maxRetries)),
    Schedule.intersect(Schedule.identity<E>()),
    Schedule.modifyDelay(([, error], delay) => {
      const retryAfterMs = retryAfterMsOf(error)
      return retryAfterMs === undefined ? delay : Duration.max(delay, Duration.millis(retryAfterMs))
    }),
    Schedule.whileInput((error: E) => {
      const retryAfterMs = retryAfterMsOf(error)
      return isRetryable(error) && (retryAfterMs === undefined || retryAfterMs <= maxRetryAfterMs)
    }),
    Schedule.map(([[, retries]]) => retries),
  )
}
