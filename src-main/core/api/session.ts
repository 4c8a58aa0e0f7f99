/**
 * The open project of an API instance (one at a time) and the recent-projects list.
 *
 * The API holds the project's only writing connection (the store's lock file enforces one writer per
 * project across processes). Switching projects closes the old connection first.
 */
import { closeSync, existsSync, fsyncSync, mkdirSync, openSync, readFileSync, renameSync, writeSync } from 'node:fs'
import { basename, dirname, extname, join, resolve } from 'node:path'
import { randomBytes } from 'node:crypto'
import { nowIso, SCHEMA_VERSION, type DB } from '../store/db'
import { getClasses } from '../store/meta'
import { createProject, openProject, type CreateProjectOptions, type Project } from '../project'
import type { ProjectInfo, RecentProject } from './contract'
import { ApiFailure } from './errors'

const RECENT_FORMAT = 'poi-audit-recent-projects'
const RECENT_VERSION = 1
const RECENT_MAX = 20

/** True when the project has table `name` (tables of engines that may not be in this build). */
export function hasTable(db: DB, name: string): boolean {
  return !!db.prepare("SELECT 1 FROM sqlite_schema WHERE type = 'table' AND name = ?").get(name)
}

export class ProjectSession {
  private current: Project | null = null

  constructor(private readonly opts: { userDataDir?: string; log?: (msg: string) => void } = {}) {}

  get project(): Project | null {
    return this.current
  }

  /** The open project, or NO_PROJECT. */
  require(): Project {
    if (!this.current) throw new ApiFailure('NO_PROJECT', 'no project is open')
    return this.current
  }

  /** Opens `path` (with `readonly`: without the writer lock, and every write answers IO_ERROR naming the file). */
  open(path: string, opts: { readonly?: boolean } = {}): ProjectInfo {
    const file = resolve(path)
    if (this.current?.path === file) return this.info()
    const next = openProject(file, { readonly: opts.readonly })
    // Refresh the planner's statistics (bounded work): without them SQLite answers the queue's joins
    // from the wide rows instead of the covering indexes of migration 0060 (SQLite's advice for
    // long-lived connections: https://sqlite.org/pragma.html#pragma_optimize).
    try {
      next.db.pragma('analysis_limit = 1000')
      next.db.pragma('optimize = 0x10002')
    } catch (e) {
      this.opts.log?.(`optimize on open failed: ${(e as Error).message}`)
    }
    this.close()
    this.current = next
    this.remember(file)
    return this.info()
  }

  create(path: string, opts: CreateProjectOptions = {}): ProjectInfo {
    const file = resolve(path)
    if (existsSync(file)) throw new ApiFailure('CONFLICT', `${file} already exists; open it instead`)
    const next = createProject(file, opts)
    this.close()
    this.current = next
    this.remember(file)
    return this.info()
  }

  close(): boolean {
    if (!this.current) return false
    const p = this.current
    this.current = null
    p.close()
    return true
  }

  info(): ProjectInfo {
    const p = this.require()
    const db = p.db
    const one = (sql: string): number => (db.prepare(sql).get() as { n: number | null }).n ?? 0
    const latestAuditId = hasTable(db, 'audits')
      ? (db.prepare('SELECT max(id) AS n FROM audits').get() as { n: number | null }).n
      : null
    return {
      path: p.path,
      name: p.settings().name,
      classes: getClasses(db),
      schemaVersion: db.pragma('user_version', { simple: true }) as number,
      counts: {
        images: one('SELECT count(*) AS n FROM images'),
        labeled: one("SELECT count(*) AS n FROM annotations WHERE current_label IS NOT NULL AND state = 'labeled'"),
        reviewed: one("SELECT count(*) AS n FROM reviews WHERE state != 'skipped'"),
        excluded: one("SELECT count(*) AS n FROM annotations WHERE state = 'excluded'"),
        decodeErrors: one("SELECT count(*) AS n FROM images WHERE decode_status = 'error'")
      },
      datasets: db
        .prepare(
          'SELECT d.id, d.root, (SELECT count(*) FROM images i WHERE i.dataset_id = d.id) AS images FROM datasets d ORDER BY d.id'
        )
        .all() as ProjectInfo['datasets'],
      latestRunId: (db.prepare("SELECT max(id) AS n FROM runs WHERE status = 'done'").get() as { n: number | null }).n,
      latestAuditId
    }
  }

  // #region recent projects

  private recentFile(): string | null {
    return this.opts.userDataDir ? join(this.opts.userDataDir, 'recent-projects.json') : null
  }

  recent(): RecentProject[] {
    const file = this.recentFile()
    if (!file || !existsSync(file)) return []
    let items: { path: string; name: string; openedAt: string }[]
    try {
      const doc = JSON.parse(readFileSync(file, 'utf8')) as { format?: unknown; version?: unknown; items?: unknown }
      if (doc.format !== RECENT_FORMAT || doc.version !== RECENT_VERSION || !Array.isArray(doc.items)) {
        this.opts.log?.(`ignoring ${file}: not a ${RECENT_FORMAT} v${RECENT_VERSION} file`)
        return []
      }
      items = doc.items.filter(
        (i): i is { path: string; name: string; openedAt: string } =>
          !!i && typeof i.path === 'string' && typeof i.name === 'string' && typeof i.openedAt === 'string'
      )
    } catch (e) {
      this.opts.log?.(`ignoring unreadable ${file}: ${(e as Error).message}`)
      return []
    }
    return items.slice(0, RECENT_MAX).map((i) => ({ ...i, exists: existsSync(i.path) }))
  }

  private remember(path: string): void {
    const file = this.recentFile()
    if (!file) return
    const name = this.current ? this.current.settings().name : defaultName(path)
    const items = [
      { path, name, openedAt: nowIso() },
      ...this.recent()
        .filter((r) => r.path !== path)
        .map(({ exists: _e, ...r }) => r)
    ]
    try {
      writeJsonAtomic(file, { format: RECENT_FORMAT, version: RECENT_VERSION, items: items.slice(0, RECENT_MAX) })
    } catch (e) {
      // The list is a convenience: failing to save it must not fail opening the project.
      this.opts.log?.(`could not save ${file}: ${(e as Error).message}`)
    }
  }

  // #endregion
}

function defaultName(path: string): string {
  return basename(path, extname(path))
}

/** temp → fsync → rename, so a crash leaves the old list or the new one, never half of one. */
function writeJsonAtomic(file: string, value: unknown): void {
  mkdirSync(dirname(file), { recursive: true })
  const tmp = `${file}.${process.pid}.${randomBytes(4).toString('hex')}.tmp`
  const fd = openSync(tmp, 'w', 0o600)
  try {
    writeSync(fd, JSON.stringify(value, null, 1))
    fsyncSync(fd)
  } finally {
    closeSync(fd)
  }
  renameSync(tmp, file)
}

export { SCHEMA_VERSION }
