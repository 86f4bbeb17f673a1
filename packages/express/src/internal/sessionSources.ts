import {
  type CredentialStore,
  type Credentials,
  type Provider,
  type ReauthenticationRequired,
  savedCredentials,
  type TokenSource,
} from "@grantflow/core"
import * as Effect from "effect/Effect"
import * as Option from "effect/Option"

/** What every per-user source of one `auth()` shares. */
export interface SessionSourcesOptions {
  readonly provider: Provider<string>
  readonly clientId: string
  readonly clientSecret: string
  readonly scopes: ReadonlyArray<string>
  readonly store: CredentialStore.CredentialStoreService
  /** A source unused this long is stopped; its user then costs only the store record. */
  readonly idleMs: number
  readonly renewalMarginMs?: number | undefined
}

interface Running {
  readonly source: Promise<TokenSource | undefined>
  lastUsed: number
  users: number
  timer?: ReturnType<typeof setTimeout>
}

// When sessions were last renewed, kept past their sources' idle stop; bounded like the store.
const maxRefreshTimes = 100_000

const storeKeyPrefix = "grantflow:session:"

/** The credential store key of a session: one user's grant, shared by all of that user's requests. */
export const storeKeyOf = (sessionId: string): string => `${storeKeyPrefix}${sessionId}`

/**
 * One token source per signed-in session, started on demand from the store and shared by all of
 * the session's concurrent requests (so they make one renewal between them), stopped once idle.
 * An idle user costs the store record only.
 */
export class SessionSources {
  readonly #options: SessionSourcesOptions
  readonly #running = new Map<string, Running>()
  readonly #refreshedAt = new Map<string, number>()

  constructor(options: SessionSourcesOptions) {
    this.#options = options
  }

  /** The stored credentials of a session, if it is signed in. */
  read(sessionId: string): Promise<Credentials | undefined> {
    return Effect.runPromise(
      Effect.map(this.#options.store.get(storeKeyOf(sessionId)), Option.getOrUndefined),
    )
  }

  /** When this process last saw the session's credentials renewed, if it did. */
  refreshedAt(sessionId: string): number | undefined {
    return this.#refreshedAt.get(sessionId)
  }

  /** Runs `use` with the session's source (started on demand); undefined when signed out. */
  async use<A>(sessionId: string, use: (source: TokenSource | undefined) => Promise<A>): Promise<A> {
    let running = this.#running.get(sessionId)
    if (running === undefined) {
      running = this.#track(
        sessionId,
        this.read(sessionId).then((stored) =>
          stored === undefined ? undefined : this.#start(sessionId, stored),
        ),
      )
    }
    const entry = running
    entry.users += 1
    entry.lastUsed = Date.now()
    try {
      return await use(await entry.source)
    } catch (error) {
      if ((error as ReauthenticationRequired)?._tag === "ReauthenticationRequired") this.forget(sessionId)
      throw error
    } finally {
      entry.users -= 1
      entry.lastUsed = Date.now()
    }
  }

  /** Makes `source` (a login just completed) the session's running source. */
  adopt(sessionId: string, source: TokenSource): void {
    this.#track(sessionId, Promise.resolve(source))
  }

  /**
   * Renews now, whatever the token's expiry: a new source over the stored credentials, marked
   * expired. Renewal re-reads the store inside its lock, so concurrent calls adopt the first
   * renewal instead of making another.
   */
  async refresh(sessionId: string): Promise<void> {
    const stored = await this.read(sessionId)
    if (stored === undefined) return
    const previous = this.#running.get(sessionId)
    this.#track(sessionId, Promise.resolve(this.#start(sessionId, { ...stored, expiresAt: 0 })))
    void previous?.source.then((source) => source?.stop())
    await this.use(sessionId, async (source) => {
      await source?.getAccessToken()
    })
  }

  /** The session ended (logout, a new login): its source stops and nothing of it stays here. */
  end(sessionId: string): void {
    this.forget(sessionId)
    this.#refreshedAt.delete(sessionId)
  }

  /** Stops the session's source, if one runs; its store record stays. */
  forget(sessionId: string): void {
    const running = this.#running.get(sessionId)
    if (running === undefined) return
    this.#running.delete(sessionId)
    clearTimeout(running.timer)
    void running.source.then((source) => source?.stop())
  }

  /** How many sources run now (for tests and the memory benchmark). */
  get size(): number {
    return this.#running.size
  }

  /** Stops every running source. */
  stopAll(): void {
    for (const sessionId of [...this.#running.keys()]) this.forget(sessionId)
  }

  #track(sessionId: string, source: Promise<TokenSource | undefined>): Running {
    const previous = this.#running.get(sessionId)
    if (previous !== undefined) clearTimeout(previous.timer)
    const running: Running = { source, lastUsed: Date.now(), users: 0 }
    // A failed start (the store failing) is not kept: the next request tries again.
    source.then(
      (started) => {
        if (started === undefined && this.#running.get(sessionId) === running) this.#running.delete(sessionId)
      },
      () => {
        if (this.#running.get(sessionId) === running) this.#running.delete(sessionId)
      },
    )
    this.#running.set(sessionId, running)
    this.#schedule(sessionId, running, this.#options.idleMs)
    return running
  }

  #schedule(sessionId: string, running: Running, delayMs: number): void {
    running.timer = setTimeout(() => {
      if (this.#running.get(sessionId) !== running) return
      const idleFor = Date.now() - running.lastUsed
      if (running.users > 0 || idleFor < this.#options.idleMs) {
        this.#schedule(sessionId, running, Math.max(this.#options.idleMs - idleFor, 10))
      } else {
        this.forget(sessionId)
      }
    }, delayMs)
    running.timer.unref()
  }

  #start(sessionId: string, credentials: Credentials): TokenSource {
    const { provider, clientId, clientSecret, scopes, store, renewalMarginMs } = this.#options
    return savedCredentials({
      provider,
      clientId,
      clientSecret,
      scopes,
      store,
      storeKey: storeKeyOf(sessionId),
      credentials,
      renewalMarginMs,
      onCredentialsRefreshed: () => {
        this.#refreshedAt.delete(sessionId)
        this.#refreshedAt.set(sessionId, Date.now())
        if (this.#refreshedAt.size > maxRefreshTimes) {
          this.#refreshedAt.delete(this.#refreshedAt.keys().next().value!)
        }
      },
    })
  }
}
