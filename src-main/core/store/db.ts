import Database from 'better-sqlite3'
import { existsSync, openSync, readSync, closeSync } from 'node:fs'
import { resolve } from 'node:path'
import { ProjectError } from './errors'
import { acquireLock, type ProjectLock } from './lock'
import { MIGRATIONS, checkRegistry, latestVersion, type Migration } from './migrations/index'

/** PRAGMA application_id of every POI Audit project: 'POIA' as a big-endian int32. */
export const APPLICATION_ID = 0x504f4941

/** The schema version this build writes (PRAGMA user_version). */
export const SCHEMA_VERSION = latestVersion()

export type DB = Database.Database

export interface OpenOptions {
  /** Create the file when it does not exist (a new project). */
  create?: boolean
  /** Open without the writer lock, read-only (training workers, `info`). */
  readonly?: boolean
  /** How long to wait for another process's writer lock before refusing (ms; at least 300). */
  lockWaitMs?: number
  /** Busy timeout in ms (default 5000). */
  timeoutMs?: number
  /** Run `PRAGMA quick_check` on open (default true; can take a second on big projects). */
  quickCheck?: boolean
  /** For tests: the migration list to apply instead of the real one. */
  migrations?: readonly Migration[]
}

/** An open project file. Close it to release the lock and checkpoint the WAL. */
export interface ProjectDb {
  readonly path: string
  readonly db: DB
  readonly readonly: boolean
  close(): void
}

const SQLITE_MAGIC = 'SQLite format 3\0'

function looksLikeSqlite(path: string): boolean {
  const fd = openSync(path, 'r')
  try {
    const buf = Buffer.alloc(16)
    const n = readSync(fd, buf, 0, 16, 0)
    return n === 0 || buf.toString('latin1') === SQLITE_MAGIC
  } finally {
    closeSync(fd)
  }
}

/**
 * Opens (or creates) a project file with the durability settings the design asks for:
 * WAL, synchronous=FULL (a curator's decision is on disk when the call returns), foreign keys,
 * a busy timeout, one writer per project (an OS-held lock, see lock.ts), application_id/user_version checks,
 * quick_check, and pending migrations run in one transaction.
 */
export function openProjectDb(file: string, opts: OpenOptions = {}): ProjectDb {
  const path = resolve(file)
  const migrations = opts.migrations ?? MIGRATIONS
  checkRegistry(migrations)
  const exists = existsSync(path)
  if (!exists && !opts.create) throw new ProjectError('NOT_FOUND', `no project file at ${path}`)
  if (exists && !looksLikeSqlite(path)) {
    throw new ProjectError('NOT_A_PROJECT', `${path} is not a POI Audit project (not an SQLite file)`)
  }
  const lock: ProjectLock | null = opts.readonly ? null : acquireLock(path, { waitMs: opts.lockWaitMs })
  let db: DB
  try {
    db = new Database(path, { readonly: !!opts.readonly, fileMustExist: !opts.create, timeout: opts.timeoutMs ?? 5000 })
  } catch (e) {
    lock?.release()
    throw new ProjectError('NOT_A_PROJECT', `cannot open ${path}: ${(e as Error).message}`)
  }
  try {
    // Read the identity before changing anything: a file we refuse must stay byte-for-byte as it was.
    const appId = db.pragma('application_id', { simple: true }) as number
    const version = db.pragma('user_version', { simple: true }) as number
    const fresh = appId === 0 && version === 0 && tableCount(db) === 0
    // An existing empty file is not a project; only creating turns it into one (never as a side effect of an import).
    if (fresh && exists && !opts.create) {
      throw new ProjectError(
        'NOT_A_PROJECT',
        `${path} is empty, not a POI Audit project; create a project with \`poi-audit init\` (or \`import --create\`)`
      )
    }
    if (!fresh && appId !== APPLICATION_ID) {
      throw new ProjectError(
        'NOT_A_PROJECT',
        `${path} is an SQLite file of another application (application_id ${appId})`
      )
    }
    const latest = latestVersion(migrations)
    if (version > latest) {
      throw new ProjectError(
        'FUTURE_VERSION',
        `${path} was written by a newer POI Audit (schema ${version}; this build knows up to ${latest}). Update POI Audit to open it.`,
        { version, latest }
      )
    }
    configure(db, !!opts.readonly)
    if (opts.quickCheck !== false && !fresh) {
      const rows = db.pragma('quick_check') as { quick_check: string }[]
      if (rows.length !== 1 || rows[0].quick_check !== 'ok') {
        throw new ProjectError(
          'CORRUPT',
          `${path} failed its integrity check: ${rows.map((r) => r.quick_check).join('; ')}`
        )
      }
    }
    if (version < latest) {
      if (opts.readonly) {
        throw new ProjectError(
          'MIGRATION_FAILED',
          `${path} needs migrating (schema ${version} → ${latest}); open it for writing once`
        )
      }
      migrate(db, migrations, version)
    }
  } catch (e) {
    db.close()
    lock?.release()
    if (e instanceof ProjectError) throw e
    const msg = (e as Error).message
    if (/not a database|file is encrypted|malformed/i.test(msg)) {
      throw new ProjectError('NOT_A_PROJECT', `${path} is not a readable project: ${msg}`)
    }
    throw e
  }
  let closed = false
  return {
    path,
    db,
    readonly: !!opts.readonly,
    close() {
      if (closed) return
      closed = true
      try {
        if (!opts.readonly) db.pragma('optimize')
        db.close()
      } finally {
        lock?.release()
      }
    }
  }
}

function tableCount(db: DB): number {
  return (db.prepare("SELECT count(*) AS n FROM sqlite_schema WHERE type = 'table'").get() as { n: number }).n
}

function configure(db: DB, readonly: boolean): void {
  if (!readonly) {
    db.pragma('journal_mode = WAL')
    // WAL defaults to NORMAL in better-sqlite3's build; FULL makes every commit durable on return.
    db.pragma('synchronous = FULL')
  }
  db.pragma('foreign_keys = ON')
}

/** Applies every migration above `from`, in one transaction, setting ids inside it. */
function migrate(db: DB, migrations: readonly Migration[], from: number): void {
  const pending = migrations.filter((m) => m.version > from)
  const run = db.transaction(() => {
    for (const m of pending) {
      try {
        m.up(db)
      } catch (e) {
        throw new ProjectError('MIGRATION_FAILED', `migration ${m.version} (${m.name}) failed: ${(e as Error).message}`)
      }
      db.pragma(`user_version = ${m.version}`)
    }
    db.pragma(`application_id = ${APPLICATION_ID}`)
  })
  run.immediate()
}

/** Full integrity check (slow on big projects); returns 'ok' or the problems found. */
export function integrityCheck(db: DB): string {
  const rows = db.pragma('integrity_check') as { integrity_check: string }[]
  return rows.map((r) => r.integrity_check).join('; ')
}

/** Online, page-by-page backup that stays consistent while the project keeps being written. */
export async function backupProject(db: DB, dest: string): Promise<void> {
  await db.backup(dest)
}

/** Current time as stored in the project: ISO-8601 UTC with milliseconds. */
export function nowIso(): string {
  return new Date().toISOString()
}
