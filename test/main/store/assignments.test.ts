import { afterEach, beforeEach, describe, expect, it } from 'vitest'
import Database from 'better-sqlite3'
import { join } from 'node:path'
import { openProjectDb, type ProjectDb } from '../../../src-main/core/store/db'
import { MIGRATIONS } from '../../../src-main/core/store/migrations'
import {
  getAssignment,
  listAssignments,
  removeAssignment,
  setAssignment
} from '../../../src-main/core/store/assignments'
import { applyChanges, undo, undoStacks } from '../../../src-main/core/store/labels'
import { ensureClasses } from '../../../src-main/core/store/meta'
import { tempDir } from '../../helpers/tmp'

let cleanup: () => void
let file: string
let p: ProjectDb

beforeEach(() => {
  const t = tempDir('poi-assign-store-')
  cleanup = t.cleanup
  file = join(t.dir, 'a.poi')
  p = openProjectDb(file, { create: true })
})
afterEach(() => {
  p.close()
  cleanup()
})

function fromDisk<T>(sql: string): T[] {
  const db = new Database(file, { readonly: true, fileMustExist: true })
  try {
    return db.prepare(sql).all() as T[]
  } finally {
    db.close()
  }
}

describe('assignments store (migration 0100)', () => {
  it('is the migration after 0090 and creates the table', () => {
    const m = MIGRATIONS.find((x) => x.name === 'assignments')
    expect(m?.version).toBe(100)
    expect(p.db.pragma('user_version', { simple: true })).toBeGreaterThanOrEqual(100)
    expect(
      fromDisk<{ name: string }>(
        "SELECT name FROM sqlite_schema WHERE name IN ('assignments', 'label_history_decisions') ORDER BY name"
      )
    ).toEqual([{ name: 'assignments' }, { name: 'label_history_decisions' }])
  })

  it('keeps one assignment per curator: set replaces, remove deletes, both on disk at once', () => {
    const a = setAssignment(p.db, 'bob', { given: [2] }, 'lead')
    expect(a).toMatchObject({ actor: 'bob', filter: { given: [2] }, createdBy: 'lead' })
    setAssignment(p.db, 'ann', { review: 'unreviewed' }, 'lead')
    const b = setAssignment(p.db, 'bob', { given: [3], splits: ['train'] }, 'ann')
    expect(b.id).toBe(a.id)
    expect(listAssignments(p.db).map((x) => [x.actor, x.filter, x.createdBy])).toEqual([
      ['ann', { review: 'unreviewed' }, 'lead'],
      ['bob', { given: [3], splits: ['train'] }, 'ann']
    ])
    expect(fromDisk<{ actor: string; filter: string }>('SELECT actor, filter FROM assignments ORDER BY actor')).toEqual(
      [
        { actor: 'ann', filter: '{"review":"unreviewed"}' },
        { actor: 'bob', filter: '{"given":[3],"splits":["train"]}' }
      ]
    )
    expect(removeAssignment(p.db, 'bob')).toBe(true)
    expect(removeAssignment(p.db, 'bob')).toBe(false)
    expect(getAssignment(p.db, 'bob')).toBeNull()
    expect(fromDisk('SELECT actor FROM assignments')).toEqual([{ actor: 'ann' }])
  })

  it('refuses a filter that is not a JSON object, in the store and in the schema', () => {
    expect(() => setAssignment(p.db, 'bob', [1] as unknown as Record<string, unknown>, 'lead')).toThrow(/object/)
    expect(() => setAssignment(p.db, ' ', {}, 'lead')).toThrow(/curator name/)
    expect(() =>
      p.db
        .prepare("INSERT INTO assignments (actor, filter, created_at, created_by) VALUES ('x', '[1]', 'now', 'y')")
        .run()
    ).toThrow(/CHECK/)
  })

  it('records a decision that changes nothing when asked (record), and its undo likewise', () => {
    ensureClasses(p.db, ['anger', 'happiness'])
    p.db.prepare("INSERT INTO datasets (id, root, added_at) VALUES (1, '/d', 'now')").run()
    p.db
      .prepare(
        "INSERT INTO imports (id, dataset_id, format, source, started_at, finished_at, report) VALUES (1, 1, 'csv', 'x', 'now', 'now', '{}')"
      )
      .run()
    p.db
      .prepare(
        "INSERT INTO images (id, dataset_id, rel_path, sha256, byte_size, decode_status, import_id) VALUES (1, 1, 'a.png', 'h', 1, 'ok', 1)"
      )
      .run()
    p.db
      .prepare(
        "INSERT INTO annotations (image_id, original_label, current_label, state, original_state, updated_at) VALUES (1, 0, 0, 'labeled', 'labeled', 'now')"
      )
      .run()
    applyChanges(p.db, [{ imageId: 1, label: 1, review: 'relabeled' }], { actor: 'ann', source: 'curator' })
    const same = { imageId: 1, label: 1, review: 'relabeled' as const }
    expect(applyChanges(p.db, [same], { actor: 'bob', source: 'curator' }).changed).toBe(0)
    expect(applyChanges(p.db, [{ ...same, record: true }], { actor: 'bob', source: 'curator' }).changed).toBe(1)
    expect(undoStacks(p.db, 'bob').undo).toHaveLength(1)
    expect(undo(p.db, 'bob')).not.toBeNull()
    expect(undoStacks(p.db, 'bob')).toMatchObject({ undo: [], redo: [expect.anything()] })
  })
})
