import { afterEach, beforeEach, describe, expect, it } from 'vitest'
import Database from 'better-sqlite3'
import { createApi, type Api } from '../../../src-main/core/api/handlers'
import type { ApiEvent, ApiResult, DecideResult, UndoResult } from '../../../src-main/core/api/contract'
import { tempDir } from '../../helpers/tmp'
import { addAudit, addRun, makeProjectFile, type ProjectFixture } from './fixture'

let cleanup: () => void
let api: Api
let f: ProjectFixture
let events: ApiEvent[]

function value<T>(r: ApiResult<unknown>): T {
  if (!r.ok) throw new Error(`${r.code}: ${r.message}`)
  return r.value as T
}

/** A second, independent read-only connection: what another process would see on disk. */
function fromDisk<T>(sql: string, ...params: unknown[]): T {
  const db = new Database(f.file, { readonly: true, fileMustExist: true })
  try {
    return db.prepare(sql).get(...params) as T
  } finally {
    db.close()
  }
}

beforeEach(async () => {
  const t = tempDir('poi-review-')
  cleanup = t.cleanup
  f = await makeProjectFile(t.dir, 30)
  api = createApi({ mode: 'test', actor: 'ann' })
  value(await api.dispatch('project.open', { path: f.file }))
  events = []
  api.subscribe((e) => events.push(e))
})
afterEach(async () => {
  await api.close()
  cleanup()
})

describe('review.decide', () => {
  it('lands in the SQLite file with a history row at once (seen from a second connection)', async () => {
    const before = fromDisk<{ n: number }>('SELECT count(*) AS n FROM label_history').n
    const r = value<DecideResult>(
      await api.dispatch('review.decide', {
        imageId: 5,
        decision: { kind: 'relabel', label: 3 },
        reason: 'teeth visible'
      })
    )
    expect(r.batchId).toMatch(/[0-9a-f-]{36}/)
    expect(r.annotation).toMatchObject({ currentLabel: 3, state: 'labeled', review: 'relabeled' })
    // No close, no checkpoint: a reader that opens the file now must see the committed change.
    expect(fromDisk('SELECT current_label AS l, state FROM annotations WHERE image_id = 5')).toEqual({
      l: 3,
      state: 'labeled'
    })
    expect(fromDisk<{ n: number }>('SELECT count(*) AS n FROM label_history').n).toBe(before + 1)
    expect(
      fromDisk(
        'SELECT actor, source, old_label AS o, new_label AS n, reason, new_review AS rv FROM label_history ORDER BY id DESC LIMIT 1'
      )
    ).toEqual({
      actor: 'ann',
      source: 'curator',
      o: 5,
      n: 3,
      reason: 'teeth visible',
      rv: 'relabeled'
    })
    expect(fromDisk('SELECT state FROM reviews WHERE image_id = 5')).toEqual({ state: 'relabeled' })
    expect(events).toContainEqual({ type: 'project.changed', what: 'labels', imageIds: [5] })
  })

  it('maps every decision kind onto label, state and review', async () => {
    const d = async (imageId: number, decision: object) =>
      value<DecideResult>(await api.dispatch('review.decide', { imageId, decision })).annotation
    expect(await d(1, { kind: 'keep' })).toMatchObject({ currentLabel: 1, state: 'labeled', review: 'kept' })
    expect(await d(2, { kind: 'exclude' })).toMatchObject({ currentLabel: 2, state: 'excluded', review: 'excluded' })
    expect(await d(3, { kind: 'skip' })).toMatchObject({ currentLabel: 3, state: 'labeled', review: 'skipped' })
    const soft = [0.5, 0.5, 0, 0, 0, 0, 0]
    expect(await d(4, { kind: 'ambiguous', softLabel: soft })).toMatchObject({
      state: 'ambiguous',
      softLabel: soft,
      review: 'ambiguous'
    })
    expect(await d(6, { kind: 'ambiguous' })).toMatchObject({ state: 'ambiguous', softLabel: null })
    expect(await d(7, { kind: 'accept', label: 2 })).toMatchObject({ currentLabel: 2, review: 'accepted' })
    // Without an audit and without a label there is nothing to accept.
    expect(await api.dispatch('review.decide', { imageId: 8, decision: { kind: 'accept' } })).toMatchObject({
      ok: false,
      code: 'NOT_AVAILABLE'
    })
    expect(await api.dispatch('review.decide', { imageId: 8, decision: { kind: 'relabel', label: 7 } })).toMatchObject({
      ok: false,
      code: 'INVALID_ARGS'
    })
    expect(await api.dispatch('review.decide', { imageId: 999, decision: { kind: 'keep' } })).toMatchObject({
      ok: false,
      code: 'NOT_FOUND'
    })
    expect(
      await api.dispatch('review.decide', { imageId: 9, decision: { kind: 'ambiguous', softLabel: [0.5, 0.5] } })
    ).toMatchObject({
      ok: false,
      code: 'INVALID_ARGS'
    })
  })

  it('accepts the audit suggestion, refuses a stale one, uses the model soft label for ambiguous', async () => {
    const db = api.session.require().db
    const runId = addRun(db, f.ids, 7, 0.5)
    await addAudit(db, runId)
    const row = db
      .prepare(
        'SELECT image_id AS i, suggested_label AS s FROM audit_items WHERE suggested_label IS NOT NULL AND suggested_label != given_label LIMIT 1'
      )
      .get() as {
      i: number
      s: number
    }
    expect(row).toBeTruthy()
    const stale = (row.s + 1) % 7
    expect(
      await api.dispatch('review.decide', { imageId: row.i, decision: { kind: 'accept', label: stale } })
    ).toMatchObject({ ok: false, code: 'CONFLICT' })
    const ok = value<DecideResult>(
      await api.dispatch('review.decide', { imageId: row.i, decision: { kind: 'accept', label: row.s } })
    )
    expect(ok.annotation).toMatchObject({ currentLabel: row.s, review: 'accepted' })
    const amb = value<DecideResult>(
      await api.dispatch('review.decide', { imageId: 11, decision: { kind: 'ambiguous' } })
    )
    expect(amb.annotation.softLabel).toHaveLength(7)
    expect(amb.annotation.softLabel!.reduce((a, b) => a + b, 0)).toBeCloseTo(1, 5)
  })

  it('returns the next image of the queue it was given', async () => {
    const next = { filter: { review: 'unreviewed' as const }, sort: { by: 'id' as const } }
    let r = value<DecideResult>(await api.dispatch('review.decide', { imageId: 1, decision: { kind: 'keep' }, next }))
    expect(r.nextImageId).toBe(2)
    r = value<DecideResult>(
      await api.dispatch('review.decide', {
        imageId: 2,
        decision: { kind: 'keep' },
        next: { ...next, filter: { given: [3] } }
      })
    )
    expect(r.nextImageId).toBe(3)
    r = value<DecideResult>(await api.dispatch('review.decide', { imageId: 30, decision: { kind: 'keep' }, next }))
    expect(r.nextImageId).toBeNull()
  })
})

describe('undo / redo / bulk / history through the API', () => {
  it('undoes and redoes decisions, durably', async () => {
    value(await api.dispatch('review.decide', { imageId: 5, decision: { kind: 'relabel', label: 3 } }))
    value(await api.dispatch('review.decide', { imageId: 6, decision: { kind: 'exclude' } }))
    expect(value(await api.dispatch('review.undoState', {}))).toEqual({ undo: 2, redo: 0 })
    const u = value<UndoResult>(await api.dispatch('review.undo', {}))
    expect(u.imageIds).toEqual([6])
    expect(fromDisk('SELECT state FROM annotations WHERE image_id = 6')).toEqual({ state: 'labeled' })
    expect(fromDisk('SELECT count(*) AS n FROM reviews WHERE image_id = 6')).toEqual({ n: 0 })
    value(await api.dispatch('review.undo', {}))
    expect(fromDisk('SELECT current_label AS l FROM annotations WHERE image_id = 5')).toEqual({ l: 5 })
    expect(value(await api.dispatch('review.undo', {}))).toBeNull()
    expect(value(await api.dispatch('review.undoState', {}))).toEqual({ undo: 0, redo: 2 })
    const re = value<UndoResult>(await api.dispatch('review.redo', {}))
    expect(re.imageIds).toEqual([5])
    expect(fromDisk('SELECT current_label AS l FROM annotations WHERE image_id = 5')).toEqual({ l: 3 })
    // A new action clears the redo stack.
    value(await api.dispatch('review.decide', { imageId: 9, decision: { kind: 'keep' } }))
    expect(value(await api.dispatch('review.redo', {}))).toBeNull()
    // Another actor's stacks are separate (one writer per project, so ann closes it first).
    api.session.close()
    const other = createApi({ mode: 'test', actor: 'bob' })
    other.session.open(f.file)
    expect(value(await other.dispatch('review.undo', {}))).toBeNull()
    other.session.close()
    await other.close()
  })

  it('bulk relabels as one undoable batch, refusing unknown ids without writing', async () => {
    const n0 = fromDisk<{ n: number }>('SELECT count(*) AS n FROM label_history').n
    expect(await api.dispatch('review.bulkRelabel', { imageIds: [1, 2, 999], label: 4 })).toMatchObject({
      ok: false,
      code: 'NOT_FOUND'
    })
    expect(fromDisk<{ n: number }>('SELECT count(*) AS n FROM label_history').n).toBe(n0)
    const r = value<{ batchId: string; changed: number }>(
      await api.dispatch('review.bulkRelabel', { imageIds: [1, 2, 3, 4], label: 4 })
    )
    // Image 4 already had label 4; it still changes (its review becomes 'relabeled').
    expect(r.changed).toBe(4)
    expect(fromDisk<{ n: number }>("SELECT count(*) AS n FROM label_history WHERE source = 'bulk'").n).toBe(4)
    expect(
      value<{ changed: number }>(await api.dispatch('review.bulkRelabel', { imageIds: [1, 2], label: 4 })).changed
    ).toBe(0)
    value(await api.dispatch('review.undo', {})) // no-op batch is not on the stack: this undoes the bulk
    expect(fromDisk('SELECT current_label AS l FROM annotations WHERE image_id = 1')).toEqual({ l: 1 })
    expect(value(await api.dispatch('review.undoState', {}))).toEqual({ undo: 0, redo: 1 })
  })

  it('lists history with paging and reverts chosen entries', async () => {
    for (let i = 1; i <= 5; i++)
      value(await api.dispatch('review.decide', { imageId: i, decision: { kind: 'relabel', label: 6 } }))
    const p1 = value<{ entries: { id: number; imageId: number }[]; nextBeforeId: number }>(
      await api.dispatch('history.list', { limit: 2 })
    )
    expect(p1.entries.map((e) => e.imageId)).toEqual([5, 4])
    const p2 = value<{ entries: { id: number; imageId: number }[]; nextBeforeId: number | null }>(
      await api.dispatch('history.list', { limit: 10, beforeId: p1.nextBeforeId })
    )
    expect(p2.entries.map((e) => e.imageId)).toEqual([3, 2, 1])
    expect(p2.nextBeforeId).toBeNull()
    const one = value<{ entries: { id: number }[] }>(await api.dispatch('history.list', { imageId: 2 }))
    expect(one.entries).toHaveLength(1)
    expect(await api.dispatch('history.revert', { entryIds: [one.entries[0].id, 123456] })).toMatchObject({
      ok: false,
      code: 'NOT_FOUND'
    })
    const rv = value<{ changed: number }>(await api.dispatch('history.revert', { entryIds: [one.entries[0].id] }))
    expect(rv.changed).toBe(1)
    expect(fromDisk('SELECT current_label AS l FROM annotations WHERE image_id = 2')).toEqual({ l: 2 })
  })
})
