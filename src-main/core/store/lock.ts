import { closeSync, openSync, readFileSync, unlinkSync, writeSync, fsyncSync } from 'node:fs'
import { hostname } from 'node:os'
import { ProjectError } from './errors'

/**
 * An advisory single-writer lock: `<project>.lock` created with O_EXCL, holding the owner's pid and
 * host. SQLite's own locks only serialise transactions; this stops a second POI Audit (CLI, server or
 * app) from writing the same project at all. A lock whose pid is dead on this host is stale and taken
 * over, so a crash (SIGKILL, power loss) never leaves a project unopenable.
 */
export interface ProjectLock {
  readonly path: string
  release(): void
}

interface LockInfo {
  pid: number
  host: string
  at: string
}

function alive(pid: number): boolean {
  try {
    process.kill(pid, 0)
    return true
  } catch (e) {
    return (e as NodeJS.ErrnoException).code === 'EPERM'
  }
}

export function acquireLock(projectPath: string): ProjectLock {
  const path = `${projectPath}.lock`
  for (let attempt = 0; attempt < 3; attempt++) {
    let fd: number
    try {
      fd = openSync(path, 'wx', 0o644)
    } catch (e) {
      if ((e as NodeJS.ErrnoException).code !== 'EEXIST') throw e
      let info: LockInfo | null = null
      try {
        info = JSON.parse(readFileSync(path, 'utf8')) as LockInfo
      } catch {
        info = null // half-written by a process that died between open and write: stale
      }
      if (info && info.host === hostname() && info.pid !== process.pid && alive(info.pid)) {
        throw new ProjectError(
          'LOCKED',
          `project ${projectPath} is open for writing by process ${info.pid} (since ${info.at}); close it there first`,
          { ...info }
        )
      }
      if (info && info.host !== hostname()) {
        throw new ProjectError(
          'LOCKED',
          `project ${projectPath} is locked by host ${info.host} (pid ${info.pid}); if that host is gone, delete ${path}`,
          { ...info }
        )
      }
      try {
        unlinkSync(path)
      } catch {
        /* raced with another taker; retry */
      }
      continue
    }
    const body: LockInfo = { pid: process.pid, host: hostname(), at: new Date().toISOString() }
    writeSync(fd, JSON.stringify(body))
    fsyncSync(fd)
    closeSync(fd)
    let released = false
    return {
      path,
      release() {
        if (released) return
        released = true
        try {
          const cur = JSON.parse(readFileSync(path, 'utf8')) as LockInfo
          if (cur.pid === process.pid) unlinkSync(path)
        } catch {
          /* already gone */
        }
      }
    }
  }
  throw new ProjectError('LOCKED', `could not take the lock ${path}`)
}
