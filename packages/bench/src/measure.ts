/**
 * The loop every request bench runs: a fixed number of operations shared by workers, timed on
 * the wall clock and on this process's CPU clock (user + system, all threads: GC included).
 *
 * @module
 */

export interface Measured {
  readonly opsPerSecond: number
  readonly cpuMicrosPerOp: number
}

/** Runs `total` operations, each worker calling its own `once` one at a time. */
export const measure = async (
  workers: ReadonlyArray<() => Promise<unknown>>,
  total: number,
): Promise<Measured> => {
  let started = 0
  const work = async (once: () => Promise<unknown>) => {
    while (started < total) {
      started++
      await once()
    }
  }
  const cpu = process.cpuUsage()
  const begin = process.hrtime.bigint()
  await Promise.all(workers.map(work))
  const seconds = Number(process.hrtime.bigint() - begin) / 1e9
  const used = process.cpuUsage(cpu)
  return { opsPerSecond: total / seconds, cpuMicrosPerOp: (used.user + used.system) / total }
}
