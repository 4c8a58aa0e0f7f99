/** Migrations 0020 (dataset hashes) and 0040 (audits), each applied to a database holding data. */
import { describe, expect, it } from 'vitest'
import Database from 'better-sqlite3'
import { MIGRATIONS, checkRegistry } from '../../../src-main/core/store/migrations/index'
import { migration0010 } from '../../../src-main/core/store/migrations/0010-initial'
import { migration0020 } from '../../../src-main/core/store/migrations/0020-dataset-hashes'
import { migration0040 } from '../../../src-main/core/store/migrations/0040-audits'

/** A database migrated up to (and including) `version`, with one dataset, import and image. */
function upTo(version: number): Database.Database {
  const db = new Database(':memory:')
  db.pragma('foreign_keys = ON')
  for (const m of MIGRATIONS.filter((x) => x.version <= version)) db.transaction(() => m.up(db))()
  db.exec("INSERT INTO datasets (id, root, added_at) VALUES (1, '/r', 'now')")
  db.exec(
    "INSERT INTO imports (id, dataset_id, format, source, started_at, finished_at, report) VALUES (1, 1, 'csv', 's', 'n', 'n', '{}')"
  )
  db.exec(
    "INSERT INTO images (id, dataset_id, rel_path, sha256, byte_size, decode_status, import_id) VALUES (1, 1, 'a.png', 'h', 10, 'ok', 1)"
  )
  return db
}

const columns = (db: Database.Database, table: string): string[] =>
  (db.prepare(`PRAGMA table_info(${table})`).all() as { name: string }[]).map((c) => c.name)
const plan = (db: Database.Database, sql: string): string =>
  (db.prepare(`EXPLAIN QUERY PLAN ${sql}`).all() as { detail: string }[]).map((r) => r.detail).join(' | ')

describe('migration registry', () => {
  it('is strictly increasing and holds 0010, 0020 and 0040 in order', () => {
    expect(() => checkRegistry()).not.toThrow()
    const v = MIGRATIONS.map((m) => m.version)
    expect(v.indexOf(migration0010.version)).toBeLessThan(v.indexOf(migration0020.version))
    expect(v.indexOf(migration0020.version)).toBeLessThan(v.indexOf(migration0040.version))
  })
})

describe('migration 0020 (dataset hashes)', () => {
  it('adds the hash columns to existing rows (null until computed) and indexes pixel-hash lookups', () => {
    const db = upTo(10)
    expect(columns(db, 'images')).not.toContain('pixel_hash')
    db.transaction(() => migration0020.up(db))()
    expect(columns(db, 'images')).toEqual(
      expect.arrayContaining(['pixel_hash', 'phash', 'sig', 'near_group', 'source_dup_group', 'extra'])
    )
    const row = db.prepare('SELECT rel_path, pixel_hash, extra FROM images WHERE id = 1').get()
    expect(row).toEqual({ rel_path: 'a.png', pixel_hash: null, extra: null })
    db.exec(`UPDATE images SET pixel_hash = 'p', extra = '{"subject":"S010"}' WHERE id = 1`)
    expect(plan(db, "SELECT id FROM images WHERE pixel_hash = 'p'")).toMatch(/INDEX images_pixel_hash/)
    db.close()
  })

  it('runs once only: a second application fails (the runner never repeats a version)', () => {
    const db = upTo(20)
    expect(() => db.transaction(() => migration0020.up(db))()).toThrow(/duplicate column/)
    db.close()
  })
})

describe('migration 0040 (audits)', () => {
  it('creates audits and audit_items with their value checks, cascade and per-flag partial indexes', () => {
    const db = upTo(30)
    db.transaction(() => migration0040.up(db))()
    db.exec(
      "INSERT INTO audits (id, run_id, method, created_at, config, summary) VALUES (1, NULL, 'poi', 'now', '{}', '{}')"
    )
    db.exec('INSERT INTO audit_items (audit_id, image_id, score, rank, flags) VALUES (1, 1, 0.1, 1, 3)')
    expect(() =>
      db.exec(
        "INSERT INTO audits (run_id, method, created_at, config, summary) VALUES (NULL, 'magic', 'now', '{}', '{}')"
      )
    ).toThrow(/CHECK/)
    expect(() => db.exec('INSERT INTO audit_items (audit_id, image_id, flags) VALUES (1, 999, 0)')).toThrow(
      /FOREIGN KEY/
    )
    expect(plan(db, 'SELECT image_id FROM audit_items WHERE audit_id = 1 AND flags & 1 != 0 ORDER BY score')).toMatch(
      /INDEX audit_items_f_mislabeled/
    )
    expect(plan(db, 'SELECT image_id FROM audit_items WHERE audit_id = 1 AND flags & 2 != 0 ORDER BY score')).toMatch(
      /INDEX audit_items_f_ambiguous/
    )
    db.exec('DELETE FROM audits WHERE id = 1')
    expect(db.prepare('SELECT COUNT(*) AS n FROM audit_items').get()).toEqual({ n: 0 })
    db.close()
  })
})
