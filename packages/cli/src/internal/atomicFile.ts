/**
 * Files that are never seen half-written, and a lock file between processes. Node built-ins only
 * and no other import: `grantflow token` reads the store before anything else is loaded, and the
 * crash test runs this module alone in the processes it kills.
 */
import { randomBytes } from "node:crypto"
import { closeSync, fsyncSync, openSync, renameSync, unlinkSync, writeSync } from "node:fs"
import * as fs from "node:fs/promises"
import { basename, dirname, join } from "node:path"

/**
 * Replaces `path` with `text`: a temp file beside it (mode 0600) is written and fsynced, renamed
 * over `path`, and the folder fsynced so the rename itself survives a power cut. A process killed
 * at any point leaves either the old file or the new one, and at worst a stray temp file.
 */
export const writeFileAtomic = (path: string, text: string): void => {
  const temp = join(dirname(path), `.${basename(path)}.${process.pid}.${randomBytes(6).toString("hex")}.tmp`)
  const fd = openSync(temp, "wx", 0o600)
  try {
    writeSync(fd, text)
    fsyncSync(fd)
  } finally {
    closeSync(fd)
  }
  try {
    renameSync(temp, path)
  } catch (error) {
    unlinkSync(temp)
    throw error
  }
  fsyncFolder(dirname(path))
}

const fsyncFolder = (folder: string) => {
  let fd: number | undefined
  try {
    fd = openSync(folder, "r")
    fsyncSync(fd)
  } catch {
    // Some platforms (Windows) cannot open or fsync a folder; the rename is still atomic there.
  } finally {
    if (fd !== undefined) closeSync(fd)
  }
}

const isAlive = (pid: number): boolean => {
  try {
    process.kill(pid, 0)
    return true
  } catch (error) {
    // EPERM: the process exists but belongs to someone else.
    return (error as NodeJS.ErrnoException).code === "EPERM"
  }
}

/** How long {@link acquireLock} waits for another process before giving up. */
export const defaultLockTimeoutMs = 30_000

/**
 * Takes the lock file `path` (created exclusively, holding this process's pid) and returns its
 * release. A lock whose holder is dead (killed mid-renewal) is taken over; a live holder is
 * waited for, up to `timeoutMs`.
 */
export const acquireLock = async (
  path: string,
  timeoutMs: number = defaultLockTimeoutMs,
): Promise<() => Promise<void>> => {
  const deadline = Date.now() + timeoutMs
  for (let wait = 5; ; wait = Math.min(wait * 2, 100)) {
    try {
      const handle = await fs.open(path, "wx", 0o600)
      await handle.writeFile(String(process.pid))
      await handle.close()
      return () => fs.rm(path, { force: true })
    } catch (error) {
      if ((error as NodeJS.ErrnoException).code !== "EEXIST") throw error
    }
    const holder = Number.parseInt(await fs.readFile(path, "utf8").catch(() => ""), 10)
    // A lock file still empty is being written by its taker: wait for it like a live one.
    if (Number.isInteger(holder) && holder > 0 && holder !== process.pid && !isAlive(holder)) {
      // Renamed away first, so that of two processes finding the same dead lock only one removes it.
      const stale = `${path}.${process.pid}.stale`
      if (
        await fs.rename(path, stale).then(
          () => true,
          () => false,
        )
      )
        await fs.rm(stale, { force: true })
      continue
    }
    if (Date.now() >= deadline) {
      throw new Error(`the lock ${path} is held by process ${holder || "?"} for longer than ${timeoutMs} ms`)
    }
    await new Promise((resolve) => setTimeout(resolve, wait))
  }
}
