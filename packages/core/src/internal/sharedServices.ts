/**
 * The services Promise-API sources share in a process: one HttpClient (so one keep-alive pool)
 * and one token endpoint service per options object. A source keeps only its actor, its
 * configuration and its credential store; building a runtime, layers and an HTTP agent per source
 * cost ~40 KB and ~1.3 ms each (packages/bench/REPORT.md), and a server adapter holds one source
 * per signed-in user.
 *
 * The pool lives as long as the process and is never closed: undici unrefs idle sockets and
 * closes them after its keep-alive timeout, so it neither keeps a process alive nor holds sockets
 * for sources dropped without `stop()`.
 *
 * @module
 */
import type * as HttpClient from "@effect/platform/HttpClient"
import * as Context from "effect/Context"
import * as Effect from "effect/Effect"
import * as ManagedRuntime from "effect/ManagedRuntime"
import * as Runtime from "effect/Runtime"
import { layer as httpLayer } from "#platform/http"
import { CredentialStore } from "../CredentialStore.js"
import { type AnyCredentialStore, toCredentialStoreService } from "../PromiseCredentialStore.js"
import * as TokenEndpoint from "../TokenEndpoint.js"
import { memoizeByObject } from "./memoize.js"
import { memoryStore } from "./memoryStore.js"

/** What a renewing flow's actors need. */
export type FlowServices = TokenEndpoint.TokenEndpoint | CredentialStore

/** Options every Promise-API flow accepts for its platform services. */
export interface PlatformOptions {
  /** Where credentials are saved and renewals are locked, Promise- or Effect-shaped; defaults to memory. */
  readonly store?: AnyCredentialStore | undefined
  /** The token endpoint's timeout and retry policy. */
  readonly tokenEndpoint?: TokenEndpoint.TokenEndpointOptions | undefined
  /** What `TokenSource.fetch` sends requests with; defaults to the global `fetch`. */
  readonly fetch?: typeof globalThis.fetch | undefined
}

let http: Runtime.Runtime<HttpClient.HttpClient> | undefined

// Built on first use, not at import: importing the core opens nothing.
const httpRuntime = (): Runtime.Runtime<HttpClient.HttpClient> => {
  http ??= ManagedRuntime.make(httpLayer).runSync(Effect.runtime<HttpClient.HttpClient>())
  return http
}

const buildEndpoint = (options: TokenEndpoint.TokenEndpointOptions | undefined) =>
  Runtime.runSync(httpRuntime(), TokenEndpoint.make(options))

let defaultEndpoint: TokenEndpoint.TokenEndpointService | undefined
// Keyed by the caller's options object: sources configured alike share a service.
const endpointForOptions = memoizeByObject(buildEndpoint)

const endpointFor = (options: TokenEndpoint.TokenEndpointOptions | undefined) => {
  if (options !== undefined) return endpointForOptions(options)
  defaultEndpoint ??= buildEndpoint(undefined)
  return defaultEndpoint
}

// Adapted once per store object: a server hands the same store to every user's source.
const storeService = memoizeByObject(toCredentialStoreService)

/** The runtime of one Promise-API source: the shared services and its own store. */
export const sourceRuntime = (options: PlatformOptions): Runtime.Runtime<FlowServices> => {
  const base = httpRuntime()
  const store = options.store === undefined ? memoryStore() : storeService(options.store)
  return Runtime.make({
    context: Context.make(TokenEndpoint.TokenEndpoint, endpointFor(options.tokenEndpoint)).pipe(
      Context.add(CredentialStore, store),
    ),
    runtimeFlags: base.runtimeFlags,
    fiberRefs: base.fiberRefs,
  })
}

/** The shared HttpClient's runtime, for Promise-API calls outside a source (discovery). */
export const sharedHttpRuntime = httpRuntime
