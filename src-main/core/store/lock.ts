import Database from 'better-sqlite3'
import { existsSync, linkSync, readFileSync, rmSync } from 'node:fs'
import { hostname } from 'node:os'
import { ProjectError } from './errors'

/**
 * The single-writer lock of a project: a sibling SQLite file `<project>.lock` held in
 * `locking_mode=EXCLUSIVE` by one connection for as long as the project is open. The lock is the
 * operating system's (SQLite's fcntl byte-range locks), so it is released the instant the holder
 * exits, however it exits: there is no stale file to guess about and nothing is ever deleted. The
 * file itself only says who holds it (pid, host, command, time) for the refusal message.
 *
 * Why not an O_EXCL file with a pid in it: taking over a "stale" file means deleting it, and a
 * process can delete a lock another process has just created (issue 15: overlapping writers).
 */
export interface ProjectLock {
  readonly path: string
  release(): void
}

export interface LockOptions {
  /**
   * How long to wait for a busy lock before refusing (ms). Never less than GRACE_MS: two processes
   * starting at the same instant can each see the other's brief SQLite lock, and both must not give up.
   */
  waitMs?: number
}

/** Who holds (or last held) a lock, as written inside the lock file. */
export interface LockHolder {
  pid: number
  host: string
  command: string
  at: string
}

const SCHEMA =
  'CREATE TABLE IF NOT EXISTS holder (pid INTEGER NOT NULL, host TEXT NOT NULL, command TEXT NOT NULL, at TEXT NOT NULL)'

const GRACE_MS = 300

/** Connections holding a lock: kept referenced so the garbage collector never closes one. */
const held = new Set<Database.Database>()

function isBusy(e: unknown): boolean {
  const code = (e as { code?: string }).code ?? ''
  return code.startsWith('SQLITE_BUSY') || code.startsWith('SQLITE_LOCKED')
}

/** Why a file operation failed, in words, naming the file. */
function fileError(path: string, e: unknown, what: string): ProjectError {
  const err = e as NodeJS.ErrnoException
  const cause =
    err.code === 'ENOSPC' || err.code === 'SQLITE_FULL'
      ? 'the disk is full'
      : err.code === 'EACCES' ||
          err.code === 'EROFS' ||
          err.code === 'EPERM' ||
          err.code === 'SQLITE_READONLY' ||
          err.code === 'SQLITE_CANTOPEN'
        ? 'the folder or file is read-only'
        : err.message
  return new ProjectError('IO', `cannot ${what} ${path}: ${cause}`, { file: path, cause: err.code ?? err.message })
}

/**
 * Creates the lock file when it is missing, complete or not at all: it is built under a private
 * name and hard-linked into place, so a full disk never leaves a 0-byte or half-written lock file
 * (and the link fails harmlessly when another process created it first).
 */
function ensureLockFile(path: string): void {
  if (existsSync(path)) return refuseOldFormat(path)
  const tmp = `${path}.new-${process.pid}-${Math.random().toString(36).slice(2, 8)}`
  try {
    const db = new Database(tmp)
    try {
      db.exec(SCHEMA)
    } finally {
      db.close()
    }
    try {
      linkSync(tmp, path)
    } catch (e) {
      if ((e as NodeJS.ErrnoException).code !== 'EEXIST') throw e
    }
  } catch (e) {
    throw fileError(path, e, 'create the lock file')
  } finally {
    rmSync(tmp, { force: true })
    rmSync(`${tmp}-journal`, { force: true })
  }
}

/**
 * Builds before issue 15 wrote `<project>.lock` as JSON `{pid, host, at}`. Such a file is never
 * replaced automatically (two processes replacing it at once could each lock a different file):
 * the user is told whose it is and to delete it once that process is gone.
 */
function refuseOldFormat(path: string): void {
  let text: string
  try {
    text = readFileSync(path, 'latin1').slice(0, 200)
  } catch {
    return // vanished or unreadable: opening it below gives the precise error
  }
  if (!text.startsWith('{')) return
  let pid = '?'
  try {
    pid = String((JSON.parse(readFileSync(path, 'utf8')) as { pid?: number }).pid ?? '?')
  } catch {
    /* keep '?' */
  }
  throw new ProjectError(
    'LOCKED',
    `${path} is a lock file of an older POI Audit (process ${pid}); if no older POI Audit is running, delete ${path} and try again`,
    { lockFile: path }
  )
}

/**
 * Reads who holds the lock from the file's bytes: the holder's exclusive lock blocks SQLite readers
 * but not a plain read, and the holder committed its row (synchronously) before anyone could see
 * it busy. The copy is opened in memory, never touching the lock.
 */
export function readLockHolder(path: string): LockHolder | null {
  try {
    const db = new Database(readFileSync(path))
    try {
      return (db.prepare('SELECT pid, host, command, at FROM holder LIMIT 1').get() as LockHolder | undefined) ?? null
    } finally {
      db.close()
    }
  } catch {
    return null // being written this instant, or from an older build
  }
}

function tryTake(path: string): Database.Database | null {
  let db: Database.Database
  try {
    db = new Database(path, { timeout: 50 })
  } catch (e) {
    throw fileError(path, e, 'open the lock file')
  }
  try {
    db.pragma('locking_mode = EXCLUSIVE')
    db.exec('BEGIN EXCLUSIVE')
  } catch (e) {
    db.close()
    if (isBusy(e)) return null
    throw fileError(path, e, 'lock')
  }
  try {
    db.exec(SCHEMA)
    db.exec('DELETE FROM holder')
    const command = process.argv.slice(1).join(' ').slice(0, 500)
    db.prepare('INSERT INTO holder (pid, host, command, at) VALUES (?, ?, ?, ?)').run(
      process.pid,
      hostname(),
      command,
      new Date().toISOString()
    )
    // In EXCLUSIVE locking mode the exclusive lock outlives this commit: it is held until close.
    db.exec('COMMIT')
  } catch (e) {
    try {
      db.exec('ROLLBACK')
    } catch {
      /* the failed statement already rolled back */
    }
    db.close()
    throw fileError(path, e, 'write the lock file')
  }
  return db
}

function sleep(ms: number): void {
  Atomics.wait(new Int32Array(new SharedArrayBuffer(4)), 0, 0, ms)
}

export function acquireLock(projectPath: string, opts: LockOptions = {}): ProjectLock {
  const path = `${projectPath}.lock`
  ensureLockFile(path)
  const deadline = Date.now() + Math.max(GRACE_MS, opts.waitMs ?? 0)
  let db = tryTake(path)
  while (!db && Date.now() < deadline) {
    sleep(25 + Math.random() * 25)
    db = tryTake(path)
  }
  if (!db) {
    const h = readLockHolder(path)
    const who = h
      ? `process ${h.pid} on ${h.host} (${h.command || 'unknown command'}, since ${h.at})`
      : 'another process'
    throw new ProjectError(
      'LOCKED',
      `project ${projectPath} is open for writing by ${who}; close it there first, or wait for it to finish`,
      {
        lockFile: path,
        ...(h ?? {})
      }
    )
  }
  held.add(db)
  const conn = db
  return {
    path,
    release() {
      if (!held.delete(conn)) return
      conn.close()
    }
  }
}
