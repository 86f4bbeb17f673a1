import type { Adapter, AdapterFactory, AdapterPayload } from "oidc-provider"

// Models whose records belong to a grant, so that revoking the grant can find them.
const grantable = new Set([
  "AccessToken",
  "AuthorizationCode",
  "RefreshToken",
  "DeviceCode",
  "BackchannelAuthenticationRequest",
  "PreAuthorizedCode",
])

// Records outlive their `exp` by this much so that an expired token is still found (with
// `ignoreExpiration`) and can be reported as expired rather than unknown.
const graceSeconds = 60

interface Entry {
  readonly value: unknown
  readonly expiresAt: number
}

/**
 * The in-memory store behind every model of one server. oidc-provider ships a similar one but
 * announces it with a production warning on every start; this one belongs to one server, so
 * stopping the server drops everything it issued.
 */
export function createMemoryAdapter(): AdapterFactory {
  const entries = new Map<string, Entry>()
  const grants = new Map<string, Set<string>>()
  let writes = 0

  const get = (key: string): unknown => {
    const entry = entries.get(key)
    if (entry === undefined) return undefined
    if (entry.expiresAt <= Date.now()) {
      entries.delete(key)
      return undefined
    }
    return entry.value
  }

  const set = (key: string, value: unknown, expiresIn: number | undefined) => {
    const expiresAt =
      typeof expiresIn === "number" ? Date.now() + (expiresIn + graceSeconds) * 1000 : Infinity
    entries.set(key, { value, expiresAt })
    writes += 1
    if (writes % 200 === 0) sweep()
  }

  const sweep = () => {
    const now = Date.now()
    for (const [key, entry] of entries) if (entry.expiresAt <= now) entries.delete(key)
    for (const [grantId, keys] of grants) {
      for (const key of keys) if (!entries.has(key)) keys.delete(key)
      if (keys.size === 0) grants.delete(grantId)
    }
  }

  const payloadAt = (key: string): AdapterPayload | undefined => {
    const value = get(key)
    return value === undefined ? undefined : structuredClone(value as AdapterPayload)
  }

  return (model: string): Adapter => {
    const keyFor = (id: string) => `${model}:${id}`
    return {
      async upsert(id, payload, expiresIn) {
        const key = keyFor(id)
        if (model === "Session" && typeof payload.uid === "string")
          set(`sessionUid:${payload.uid}`, id, expiresIn)
        if (typeof payload.userCode === "string") set(`userCode:${payload.userCode}`, id, expiresIn)
        if (grantable.has(model) && typeof payload.grantId === "string") {
          const keys = grants.get(payload.grantId) ?? new Set<string>()
          keys.add(key)
          grants.set(payload.grantId, keys)
        }
        set(key, structuredClone(payload), expiresIn)
      },
      async find(id) {
        return payloadAt(keyFor(id))
      },
      async findByUid(uid) {
        const id = get(`sessionUid:${uid}`)
        return typeof id === "string" ? payloadAt(keyFor(id)) : undefined
      },
      async findByUserCode(userCode) {
        const id = get(`userCode:${userCode}`)
        return typeof id === "string" ? payloadAt(keyFor(id)) : undefined
      },
      async consume(id) {
        const value = get(keyFor(id)) as AdapterPayload | undefined
        if (value !== undefined) value.consumed = Math.floor(Date.now() / 1000)
      },
      async destroy(id) {
        entries.delete(keyFor(id))
      },
      async revokeByGrantId(grantId) {
        for (const key of grants.get(grantId) ?? []) entries.delete(key)
        grants.delete(grantId)
      },
    }
  }
}
