import { describe, expect, it } from 'vitest'
import Database from 'better-sqlite3'
import { migration0010 } from '../../../src-main/core/store/migrations/0010-initial'

describe('migration 0010 (initial schema)', () => {
  it('creates every table with its indexes, and queries use them', () => {
    const db = new Database(':memory:')
    db.transaction(() => migration0010.up(db))()
    const tables = (
      db.prepare("SELECT name FROM sqlite_schema WHERE type = 'table' ORDER BY name").all() as { name: string }[]
    ).map((r) => r.name)
    expect(tables).toEqual(
      [
        'annotations',
        'classes',
        'datasets',
        'images',
        'imports',
        'label_history',
        'meta',
        'pixel_cache',
        'predictions',
        'reviews',
        'run_epochs',
        'runs',
        'thumbnails'
      ].sort()
    )
    const plan = (sql: string): string =>
      (db.prepare(`EXPLAIN QUERY PLAN ${sql}`).all() as { detail: string }[]).map((r) => r.detail).join(' | ')
    expect(plan("SELECT id FROM images WHERE sha256 = 'x'")).toMatch(/USING (COVERING )?INDEX images_sha256/)
    expect(plan('SELECT * FROM label_history WHERE image_id = 1 ORDER BY id')).toMatch(
      /USING (COVERING )?INDEX label_history_image/
    )
    expect(plan("SELECT * FROM label_history WHERE batch_id = 'b'")).toMatch(
      /USING (COVERING )?INDEX label_history_batch/
    )
    db.close()
  })

  it('enforces the documented value sets', () => {
    const db = new Database(':memory:')
    db.transaction(() => migration0010.up(db))()
    db.exec("INSERT INTO datasets (id, root, added_at) VALUES (1, '/r', 'now')")
    db.exec(
      "INSERT INTO imports (id, dataset_id, format, source, started_at, finished_at, report) VALUES (1, 1, 'csv', 's', 'n', 'n', '{}')"
    )
    expect(() =>
      db.exec(
        "INSERT INTO images (dataset_id, rel_path, sha256, byte_size, decode_status, import_id, split) VALUES (1, 'a', 'h', 1, 'ok', 1, 'holdout')"
      )
    ).toThrow(/CHECK/)
    expect(() =>
      db.exec(
        "INSERT INTO images (dataset_id, rel_path, sha256, byte_size, decode_status, import_id) VALUES (1, 'a', 'h', 1, 'maybe', 1)"
      )
    ).toThrow(/CHECK/)
    db.close()
  })
})
