import { afterEach, beforeEach, describe, expect, it } from 'vitest'
import Database from 'better-sqlite3'
import { join } from 'node:path'
import { openProjectDb, type ProjectDb } from '../../../src-main/core/store/db'
import { ensureClasses } from '../../../src-main/core/store/meta'
import {
  applyChanges,
  getAnnotation,
  listHistory,
  redo,
  revertEntries,
  undo,
  undoStacks
} from '../../../src-main/core/store/labels'
import { tempDir } from '../../helpers/tmp'

let cleanup: () => void
let file: string
let p: ProjectDb

/** A project with `n` images labelled round-robin over the 7 classes, inserted with plain SQL. */
function seed(db: Database.Database, n: number): void {
  ensureClasses(db, ['anger', 'disgust', 'fear', 'happiness', 'sadness', 'surprise', 'neutral'])
  db.prepare("INSERT INTO datasets (id, root, added_at) VALUES (1, '/data', 'now')").run()
  db.prepare(
    "INSERT INTO imports (id, dataset_id, format, source, started_at, finished_at, report) VALUES (1, 1, 'csv', 'x', 'now', 'now', '{}')"
  ).run()
  const img = db.prepare(
    "INSERT INTO images (id, dataset_id, rel_path, sha256, byte_size, decode_status, import_id) VALUES (?, 1, ?, ?, 10, 'ok', 1)"
  )
  const ann = db.prepare(
    "INSERT INTO annotations (image_id, original_label, current_label, state, original_state, updated_at) VALUES (?, ?, ?, 'labeled', 'labeled', 'now')"
  )
  for (let i = 1; i <= n; i++) {
    img.run(i, `img${i}.png`, `h${i}`)
    ann.run(i, i % 7, i % 7)
  }
}

beforeEach(() => {
  const t = tempDir()
  cleanup = t.cleanup
  file = join(t.dir, 'labels.poi')
  p = openProjectDb(file, { create: true })
  seed(p.db, 20)
})
afterEach(() => {
  p.close()
  cleanup()
})

describe('labels, history, undo', () => {
  it('writes the annotation and a history row in one durable step, visible to another connection at once', () => {
    const { changed } = applyChanges(p.db, [{ imageId: 3, label: 5, review: 'relabeled' }], {
      actor: 'ann',
      source: 'curator',
      reason: 'test'
    })
    expect(changed).toBe(1)
    const other = new Database(file, { readonly: true })
    expect(other.prepare('SELECT current_label, original_label FROM annotations WHERE image_id = 3').get()).toEqual({
      current_label: 5,
      original_label: 3
    })
    const h = other.prepare('SELECT * FROM label_history WHERE image_id = 3').all() as Record<string, unknown>[]
    other.close()
    expect(h).toHaveLength(1)
    expect(h[0]).toMatchObject({
      actor: 'ann',
      source: 'curator',
      old_label: 3,
      new_label: 5,
      new_review: 'relabeled',
      reason: 'test'
    })
  })

  it('rejects bad labels and unknown images without writing anything', () => {
    expect(() =>
      applyChanges(
        p.db,
        [
          { imageId: 1, label: 2 },
          { imageId: 2, label: 99 }
        ],
        { actor: 'a', source: 'curator' }
      )
    ).toThrow(/outside/)
    expect(() =>
      applyChanges(
        p.db,
        [
          { imageId: 1, label: 2 },
          { imageId: 999, label: 1 }
        ],
        { actor: 'a', source: 'curator' }
      )
    ).toThrow(/no annotation/)
    expect(getAnnotation(p.db, 1)?.currentLabel).toBe(1)
    expect(listHistory(p.db)).toHaveLength(0)
  })

  it('keeps history append-only', () => {
    applyChanges(p.db, [{ imageId: 1, label: 2 }], { actor: 'a', source: 'curator' })
    expect(() => p.db.prepare('UPDATE label_history SET actor = ?').run('x')).toThrow(/append-only/)
    expect(() => p.db.prepare('DELETE FROM label_history').run()).toThrow(/append-only/)
  })

  it('undoes and redoes in stack order, across reopen', () => {
    const a = applyChanges(p.db, [{ imageId: 1, label: 4, review: 'relabeled' }], { actor: 'ann', source: 'curator' })
    const b = applyChanges(
      p.db,
      [
        { imageId: 2, label: 6 },
        { imageId: 3, label: 6 }
      ],
      { actor: 'ann', source: 'bulk' }
    )
    applyChanges(p.db, [{ imageId: 9, label: 0 }], { actor: 'bob', source: 'curator' })
    expect(undoStacks(p.db, 'ann').undo).toEqual([a.batchId, b.batchId])

    expect(undo(p.db, 'ann')?.undone).toBe(b.batchId)
    expect(getAnnotation(p.db, 2)?.currentLabel).toBe(2)
    expect(getAnnotation(p.db, 3)?.currentLabel).toBe(3)
    p.close()
    p = openProjectDb(file) // the stacks survive a restart
    expect(undo(p.db, 'ann')?.undone).toBe(a.batchId)
    expect(getAnnotation(p.db, 1)).toMatchObject({ currentLabel: 1, review: null })
    expect(undo(p.db, 'ann')).toBeNull()

    expect(redo(p.db, 'ann')?.redone).toBe(a.batchId)
    expect(getAnnotation(p.db, 1)).toMatchObject({ currentLabel: 4, review: 'relabeled' })
    expect(redo(p.db, 'ann')?.redone).toBe(b.batchId)
    expect(getAnnotation(p.db, 3)?.currentLabel).toBe(6)
    expect(redo(p.db, 'ann')).toBeNull()
    // bob's change was never touched
    expect(getAnnotation(p.db, 9)?.currentLabel).toBe(0)
  })

  it('a new action clears the redo stack', () => {
    applyChanges(p.db, [{ imageId: 1, label: 4 }], { actor: 'ann', source: 'curator' })
    undo(p.db, 'ann')
    applyChanges(p.db, [{ imageId: 2, label: 4 }], { actor: 'ann', source: 'curator' })
    expect(redo(p.db, 'ann')).toBeNull()
  })

  it('reverts chosen history entries, keeping soft labels and states', () => {
    const soft = [0.5, 0.5, 0, 0, 0, 0, 0]
    applyChanges(p.db, [{ imageId: 5, state: 'ambiguous', softLabel: soft, review: 'ambiguous' }], {
      actor: 'ann',
      source: 'curator'
    })
    expect(getAnnotation(p.db, 5)).toMatchObject({ state: 'ambiguous', softLabel: soft })
    applyChanges(p.db, [{ imageId: 6, state: 'excluded' }], { actor: 'ann', source: 'curator' })
    const ids = listHistory(p.db).map((h) => h.id)
    revertEntries(p.db, ids, 'ann')
    expect(getAnnotation(p.db, 5)).toMatchObject({ state: 'labeled', softLabel: null, review: null })
    expect(getAnnotation(p.db, 6)?.state).toBe('labeled')
    expect(listHistory(p.db, { source: 'revert' })).toHaveLength(2)
  })

  it('refuses a soft label that is not a distribution', () => {
    expect(() =>
      applyChanges(p.db, [{ imageId: 5, state: 'ambiguous', softLabel: [1, 1, 0, 0, 0, 0, 0] }], {
        actor: 'a',
        source: 'curator'
      })
    ).toThrow(/summing to 1/)
  })
})

describe('class list', () => {
  it('appends a new class once labels exist, keeping every index', () => {
    // seed() made the 7 classes and labelled images; contempt sorts last canonically, anger/happiness
    // insertions would shift indices — both must append instead.
    expect(ensureClasses(p.db, ['contempt'])).toEqual([
      'neutral',
      'happiness',
      'surprise',
      'sadness',
      'anger',
      'disgust',
      'fear',
      'contempt'
    ])
    expect(getAnnotation(p.db, 3)?.currentLabel).toBe(3)
  })
})
