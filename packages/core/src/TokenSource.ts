/**
 * What every flow yields: a source of access tokens that renews itself. The Promise interface is
 * for callers who never touch Effect; `TokenSourceEffect` is the same source for those who do.
 *
 * @module
 */
import type * as Clock from "effect/Clock"
import * as Effect from "effect/Effect"
import type { Observer, Subscription } from "xstate"
import type { Credentials } from "./Credentials.js"
import type { GrantflowError } from "./Errors.js"
import { ConfigError, ReauthenticationRequired } from "./Errors.js"
import { awaitFlow } from "./internal/bridge.js"
import { unsavedOf } from "./internal/renewal.js"
import type { FlowContext, FlowEvent } from "./machines/index.js"

/**
 * The credentials a `PersistenceError` kept because they could not be saved (a login whose
 * store failed, for instance): save them elsewhere or resume them with `savedCredentials`. They
 * are held where no log or inspection of the error reaches them.
 *
 * @see https://www.rfc-editor.org/rfc/rfc6749#section-10.4
 */
export const unsavedCredentials = (error: unknown): Credentials | undefined => unsavedOf(error)?.credentials

/** A flow's state as callers may see it: no tokens, so it can be logged or shown. */
export interface TokenSourceSnapshot {
  /** The machine state: `valid`, `renewing`, `failed`, `reauthenticationRequired`, ... */
  readonly status: string
  readonly authorized: boolean
  readonly expiresAt?: number | undefined
  readonly scopes: ReadonlyArray<string>
  readonly error?: unknown
}

/**
 * A source of access tokens.
 *
 * @see https://www.rfc-editor.org/rfc/rfc6750#section-2.1
 */
export interface TokenSource {
  /** A valid access token, renewing first when it is due. Concurrent callers share one renewal. */
  getAccessToken(): Promise<string>
  /** The current credentials (renewed first when due): what an app persists. */
  getCredentials(): Promise<Credentials>
  /** The access token if it can be used right now without renewal, for code that cannot await. */
  peekAccessToken(): string | undefined
  /** `fetch` with `Authorization: Bearer`; on a 401 it renews once and replays once. */
  fetch(input: string | URL | Request, init?: RequestInit): Promise<Response>
  /** RFC 7009 revocation where the provider has an endpoint; always forgets locally. */
  revoke(): Promise<void>
  /** Calls `listener` with each new snapshot; returns the unsubscribe function. */
  subscribe(listener: (snapshot: TokenSourceSnapshot) => void): () => void
  /** Stops the flow and releases its resources. */
  stop(): void
}

/**
 * The same source for Effect users: failures in the error channel.
 *
 * @see https://www.rfc-editor.org/rfc/rfc6750#section-2.1
 */
export interface TokenSourceEffect {
  readonly accessToken: Effect.Effect<string, GrantflowError>
  readonly credentials: Effect.Effect<Credentials, GrantflowError>
  readonly revoke: Effect.Effect<void, GrantflowError>
  /** The Promise interface over the same running flow. */
  readonly source: TokenSource
}

/** What a source reads of its flow's snapshot: the same for every flow machine. */
export interface FlowSnapshot {
  readonly status: "active" | "done" | "error" | "stopped"
  readonly value: unknown
  readonly context: FlowContext
  hasTag(tag: string): boolean
}

/** What a source needs of its flow's actor: any grantflow flow machine's actor has it. */
export interface FlowActor {
  getSnapshot(): FlowSnapshot
  send(event: FlowEvent): void
  subscribe(observer: Observer<FlowSnapshot>): Subscription
  subscribe(next: (snapshot: FlowSnapshot) => void): Subscription
  stop(): unknown
}

/** How a flow's actor is wired to the outside world. */
export interface ActorTokenSourceOptions {
  readonly actor: FlowActor
  readonly clock: Clock.Clock
  readonly fetch: typeof globalThis.fetch
  /** Whether a 401 may trigger renewal and a replay (never for static tokens). */
  readonly replayOn401: boolean
  /** Runs once the flow has stopped and its in-flight runs have settled. */
  readonly release?: (() => void | Promise<void>) | undefined
  /** Resolves once no actor run of this source is in flight. */
  readonly settled?: (() => Promise<void>) | undefined
}

const insufficientScope = /error\s*=\s*"?insufficient_scope/i

/** A TokenSource over a running flow actor. */
export class ActorTokenSource implements TokenSource {
  readonly #actor: FlowActor
  readonly #clock: Clock.Clock
  readonly #fetch: typeof globalThis.fetch
  readonly #replayOn401: boolean
  readonly #release: () => void | Promise<void>
  readonly #settled: () => Promise<void>
  #stopped: Promise<void> | undefined
  #cachedToken: string | undefined
  #cachedPromise: Promise<string> | undefined
  #settling: Promise<FlowSnapshot> | undefined
  #renewing: Promise<string> | undefined

  constructor(options: ActorTokenSourceOptions) {
    this.#actor = options.actor
    this.#clock = options.clock
    this.#fetch = options.fetch
    this.#replayOn401 = options.replayOn401
    this.#release = options.release ?? (() => {})
    this.#settled = options.settled ?? (() => Promise.resolve())
  }

  peekAccessToken(): string | undefined {
    const snapshot = this.#actor.getSnapshot()
    const { credentials, renewAt } = snapshot.context
    if (credentials === undefined || !snapshot.hasTag("authorized")) return undefined
    // Past `renewAt` the machine decides: renew, answer the token it cannot renew, or end.
    if (renewAt !== undefined && this.#clock.unsafeCurrentTimeMillis() >= renewAt) return undefined
    return credentials.accessToken
  }

  getAccessToken(): Promise<string> {
    const token = this.peekAccessToken()
    if (token === undefined) return this.#tokenAfterRenewal()
    // The cached path allocates nothing: the same settled promise serves every call for a token.
    if (token !== this.#cachedToken || this.#cachedPromise === undefined) {
      this.#cachedToken = token
      this.#cachedPromise = Promise.resolve(token)
    }
    return this.#cachedPromise
  }

  /**
   * Callers that find no usable token share one promise until it settles: a herd of 10,000
   * callers costs one wait on the machine, not 10,000.
   */
  #tokenAfterRenewal(): Promise<string> {
    if (this.#renewing === undefined) {
      const renewing = this.#settle().then((credentials) => credentials.accessToken)
      const clear = () => {
        if (this.#renewing === renewing) this.#renewing = undefined
      }
      renewing.then(clear, clear)
      this.#renewing = renewing
    }
    return this.#renewing
  }

  getCredentials(): Promise<Credentials> {
    const token = this.peekAccessToken()
    const credentials = this.#actor.getSnapshot().context.credentials
    return token !== undefined && credentials !== undefined ? Promise.resolve(credentials) : this.#settle()
  }

  async fetch(input: string | URL | Request, init?: RequestInit): Promise<Response> {
    // A Request can be sent once; keep the original to build the replay from.
    const original = new Request(input, init)
    const token = await this.getAccessToken()
    const response = await this.#fetch(withBearer(original.clone(), token))
    if (response.status !== 401 || !this.#replayOn401) return response
    if (insufficientScope.test(response.headers.get("www-authenticate") ?? "")) return response
    this.#actor.send({ type: "UNAUTHORIZED", accessToken: token })
    const renewed = await this.#settle()
    if (renewed.accessToken === token) return response
    await response.body?.cancel()
    return this.#fetch(withBearer(original, renewed.accessToken))
  }

  async revoke(): Promise<void> {
    let snapshot = await this.#whenIdle()
    // A stopped source can neither revoke nor forget: saying so beats a silent no-op.
    if (snapshot.status === "stopped") throw stoppedError()
    if (snapshot.status === "done") return
    this.#actor.send({ type: "REVOKE_REQUESTED" })
    snapshot = await this.#whenIdle()
    if (snapshot.context.revokeFailure !== undefined) throw snapshot.context.revokeFailure
  }

  /** Sends an event to the flow's machine (adapters and embedders). */
  send(event: FlowEvent): void {
    this.#actor.send(event)
  }

  /** Hands the authorization callback to the machine and waits for the exchange's outcome. */
  async receiveCallback(callback: string | URL | URLSearchParams): Promise<void> {
    this.#actor.send({ type: "CALLBACK_RECEIVED", callback })
    const snapshot = await this.#whenIdle()
    if (!snapshot.hasTag("authorized")) throw snapshot.context.error
  }

  subscribe(listener: (snapshot: TokenSourceSnapshot) => void): () => void {
    const subscription = this.#actor.subscribe((snapshot) => listener(view(snapshot)))
    return () => subscription.unsubscribe()
  }

  /**
   * Stops the flow. A token request already sent still completes and its credentials are saved
   * (store and hook) before the source's services are released: the server may have rotated the
   * refresh token, and the new one must not be lost. Afterwards the credentials held are still
   * answered while usable (an app may read them to persist them), but every call that would need
   * the flow (a renewal, `revoke()`), waiting callers included, rejects with a `ConfigError`
   * saying the source was stopped: a use after stop is the app's mistake, not a revocation, and
   * no login is needed.
   */
  stop(): void {
    void this.stopped()
  }

  /** Stops the flow (once); resolves when its in-flight runs have settled and it is released. */
  stopped(): Promise<void> {
    if (this.#stopped === undefined) {
      this.#actor.stop()
      this.#stopped = this.#settled().then(this.#release)
    }
    return this.#stopped
  }

  /** Asks for a token when none can be answered now, then waits for the one outcome all share. */
  async #settle(): Promise<Credentials> {
    let snapshot = this.#actor.getSnapshot()
    if (!snapshot.hasTag("busy") && snapshot.status === "active") {
      this.#actor.send({ type: "ACCESS_TOKEN_REQUESTED", now: this.#clock.unsafeCurrentTimeMillis() })
    }
    snapshot = await this.#whenIdle()
    if (snapshot.status === "stopped") throw stoppedError()
    const credentials = snapshot.context.credentials
    if (snapshot.hasTag("authorized") && credentials !== undefined) return credentials
    throw snapshot.context.error ?? new ReauthenticationRequired({ reason: "Revoked" })
  }

  /** One shared promise per busy period, so a thousand waiters make one subscription. */
  #whenIdle(): Promise<FlowSnapshot> {
    const current = this.#actor.getSnapshot()
    // A stopped actor keeps the state it stopped in, busy or not, and will never leave it.
    if (!current.hasTag("busy") || current.status !== "active") return Promise.resolve(current)
    this.#settling ??= new Promise<FlowSnapshot>((resolve, reject) => {
      const done = (snapshot: FlowSnapshot) => {
        subscription.unsubscribe()
        this.#settling = undefined
        resolve(snapshot)
      }
      const subscription = this.#actor.subscribe({
        next: (snapshot) => {
          if (!snapshot.hasTag("busy")) done(snapshot)
        },
        complete: () => done(this.#actor.getSnapshot()),
        error: (error) => {
          this.#settling = undefined
          reject(error)
        },
      })
    })
    return this.#settling
  }
}

const stoppedError = () =>
  new ConfigError({
    reason:
      "this token source was stopped (stop(), or the end of its scope), so it hands out no more tokens. Start a new source; savedCredentials resumes stored credentials.",
  })

const withBearer = (request: Request, token: string): Request => {
  request.headers.set("authorization", `Bearer ${token}`)
  return request
}

const view = (snapshot: FlowSnapshot): TokenSourceSnapshot => ({
  status: typeof snapshot.value === "string" ? snapshot.value : JSON.stringify(snapshot.value),
  authorized: snapshot.hasTag("authorized"),
  expiresAt: snapshot.context.credentials?.expiresAt,
  scopes: snapshot.context.credentials?.scopes ?? [],
  error: snapshot.context.error,
})

/**
 * The Effect face of a running source. Waiting is interruptible: an interrupted caller stops
 * waiting, and the renewal it joined goes on for the source's other callers.
 *
 * @see https://www.rfc-editor.org/rfc/rfc6750#section-2.1
 */
export const toEffectSource = (source: TokenSource): TokenSourceEffect => ({
  accessToken: Effect.suspend(() => {
    const token = source.peekAccessToken()
    return token === undefined ? awaitFlow(() => source.getAccessToken()) : Effect.succeed(token)
  }),
  credentials: awaitFlow(() => source.getCredentials()),
  revoke: awaitFlow(() => source.revoke()),
  source,
})
