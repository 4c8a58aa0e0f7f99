import { afterEach, describe, expect, it } from 'vitest'
import Database from 'better-sqlite3'
import { join } from 'node:path'
import { readFileSync, statSync, writeFileSync } from 'node:fs'
import { createHash } from 'node:crypto'
import {
  APPLICATION_ID,
  SCHEMA_VERSION,
  backupProject,
  integrityCheck,
  openProjectDb
} from '../../../src-main/core/store/db'
import { MIGRATIONS, checkRegistry } from '../../../src-main/core/store/migrations/index'
import { ProjectError } from '../../../src-main/core/store/errors'
import { tempDir } from '../../helpers/tmp'

let cleanup: (() => void) | null = null
afterEach(() => {
  cleanup?.()
  cleanup = null
})
function tmp(): string {
  const t = tempDir()
  cleanup = t.cleanup
  return t.dir
}
function code(fn: () => unknown): string {
  try {
    fn()
  } catch (e) {
    return e instanceof ProjectError ? e.code : `other: ${(e as Error).message}`
  }
  return 'no error'
}

describe('project database', () => {
  it('has the pragma contract after open', () => {
    const p = openProjectDb(join(tmp(), 'a.poi'), { create: true })
    expect(p.db.pragma('journal_mode', { simple: true })).toBe('wal')
    expect(p.db.pragma('synchronous', { simple: true })).toBe(2)
    expect(p.db.pragma('foreign_keys', { simple: true })).toBe(1)
    expect(p.db.pragma('busy_timeout', { simple: true })).toBe(5000)
    expect(p.db.pragma('application_id', { simple: true })).toBe(APPLICATION_ID)
    expect(p.db.pragma('user_version', { simple: true })).toBe(SCHEMA_VERSION)
    p.close()
  })

  it('refuses a missing file unless create is asked', () => {
    expect(code(() => openProjectDb(join(tmp(), 'none.poi')))).toBe('NOT_FOUND')
  })

  it('refuses a non-SQLite file and another application’s SQLite file', () => {
    const dir = tmp()
    writeFileSync(join(dir, 'text.poi'), 'hello, this is not a database at all')
    expect(code(() => openProjectDb(join(dir, 'text.poi')))).toBe('NOT_A_PROJECT')
    const other = new Database(join(dir, 'other.db'))
    other.exec('CREATE TABLE t (x)')
    other.close()
    expect(code(() => openProjectDb(join(dir, 'other.db')))).toBe('NOT_A_PROJECT')
  })

  it('refuses a project from a newer version and leaves the file untouched', () => {
    const file = join(tmp(), 'future.poi')
    openProjectDb(file, { create: true }).close()
    const raw = new Database(file)
    raw.pragma(`user_version = ${SCHEMA_VERSION + 10}`)
    raw.pragma('journal_mode = DELETE')
    raw.close()
    const before = createHash('sha256').update(readFileSync(file)).digest('hex')
    const mtime = statSync(file).mtimeMs
    const err = (() => {
      try {
        openProjectDb(file)
      } catch (e) {
        return e as ProjectError
      }
    })()
    expect(err?.code).toBe('FUTURE_VERSION')
    expect(err?.message).toMatch(/newer POI Audit/)
    expect(createHash('sha256').update(readFileSync(file)).digest('hex')).toBe(before)
    expect(statSync(file).mtimeMs).toBe(mtime)
  })

  it('runs migrations atomically: a failing step leaves version and schema unchanged', () => {
    const file = join(tmp(), 'm.poi')
    openProjectDb(file, { create: true }).close()
    const broken = [
      ...MIGRATIONS,
      {
        version: SCHEMA_VERSION + 10,
        name: 'adds a table',
        up: (db: Database.Database) => db.exec('CREATE TABLE x1 (a)')
      },
      {
        version: SCHEMA_VERSION + 20,
        name: 'fails',
        up: () => {
          throw new Error('boom')
        }
      }
    ]
    expect(code(() => openProjectDb(file, { migrations: broken }))).toBe('MIGRATION_FAILED')
    const p = openProjectDb(file)
    expect(p.db.pragma('user_version', { simple: true })).toBe(SCHEMA_VERSION)
    expect(p.db.prepare("SELECT count(*) AS n FROM sqlite_schema WHERE name = 'x1'").get()).toEqual({ n: 0 })
    p.close()
  })

  it('checks the migration registry order', () => {
    expect(() => checkRegistry(MIGRATIONS)).not.toThrow()
    expect(() => checkRegistry([MIGRATIONS[0], MIGRATIONS[0]])).toThrow(/out of order/)
  })

  it('refuses a JSON lock file of an older build, naming it, and still opens read-only', () => {
    // Live holders and SIGKILLed ones are covered by lock-race.test.ts with real processes.
    const file = join(tmp(), 'lock.poi')
    openProjectDb(file, { create: true }).close()
    writeFileSync(file + '.lock', JSON.stringify({ pid: 999999, host: 'h', at: 'now' }))
    expect(code(() => openProjectDb(file))).toBe('LOCKED')
    expect(() => openProjectDb(file)).toThrow(/older POI Audit \(process 999999\).*delete .*lock\.poi\.lock/)
    const ro = openProjectDb(file, { readonly: true })
    expect(ro.readonly).toBe(true)
    ro.close()
  })

  it('refuses a second writer in the same process and frees the lock on close', () => {
    const file = join(tmp(), 'same.poi')
    const p = openProjectDb(file, { create: true })
    expect(() => openProjectDb(file)).toThrow(new RegExp(`process ${process.pid} `))
    p.close()
    openProjectDb(file).close()
  })

  it('detects corruption on open', () => {
    const file = join(tmp(), 'c.poi')
    const p = openProjectDb(file, { create: true })
    p.db.exec('CREATE TABLE filler (x BLOB)')
    const ins = p.db.prepare('INSERT INTO filler VALUES (?)')
    for (let i = 0; i < 200; i++) ins.run(Buffer.alloc(3000, i))
    p.db.pragma('wal_checkpoint(TRUNCATE)')
    p.db.pragma('journal_mode = DELETE')
    p.close()
    const buf = readFileSync(file)
    buf.fill(0x5a, 4096 * 5, 4096 * 5 + 4096) // garble a page in the middle
    writeFileSync(file, buf)
    expect(['CORRUPT', 'NOT_A_PROJECT']).toContain(code(() => openProjectDb(file)))
  })

  it('backs up online to a file that passes integrity_check', async () => {
    const dir = tmp()
    const p = openProjectDb(join(dir, 'b.poi'), { create: true })
    p.db.prepare("INSERT INTO meta (key, value) VALUES ('k', '1')").run()
    await backupProject(p.db, join(dir, 'copy.poi'))
    p.close()
    const c = openProjectDb(join(dir, 'copy.poi'))
    expect(integrityCheck(c.db)).toBe('ok')
    expect(c.db.prepare("SELECT value FROM meta WHERE key = 'k'").get()).toEqual({ value: '1' })
    c.close()
  })
})
