/**
 * A STAND-IN for the Web Locks API, which Node 20 lacks: exclusive locks by name, granted in
 * request order, released when the callback settles, with `signal` aborting a wait. Real Web
 * Locks are exercised in Chromium by the demo's end-to-end test.
 */
export const makeLockManager = (): LockManager => {
  const tails = new Map<string, Promise<void>>()
  const request = async (name: string, ...rest: unknown[]): Promise<unknown> => {
    const callback = rest.at(-1) as (lock: Lock | null) => unknown
    const options = (rest.length > 1 ? rest[0] : {}) as LockOptions
    const previous = tails.get(name) ?? Promise.resolve()
    let release!: () => void
    const mine = new Promise<void>((resolve) => {
      release = resolve
    })
    tails.set(
      name,
      previous.then(() => mine),
    )
    try {
      await new Promise<void>((resolve, reject) => {
        options.signal?.addEventListener("abort", () => reject(options.signal?.reason))
        void previous.then(resolve)
      })
      return await callback({ name, mode: "exclusive" } as Lock)
    } finally {
      release()
    }
  }
  return { request, query: async () => ({ held: [], pending: [] }) } as unknown as LockManager
}
