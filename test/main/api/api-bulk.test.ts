/**
 * review.bulkDecide and the review progress in images.counts (issue 14, defects 5 and 6), through
 * the real API on a real project file, checked from a second connection.
 */
import { afterEach, beforeEach, describe, expect, it } from 'vitest'
import Database from 'better-sqlite3'
import { createApi, type Api } from '../../../src-main/core/api/handlers'
import type { ApiResult, BulkDecideResult, ImageCounts } from '../../../src-main/core/api/contract'
import { tempDir } from '../../helpers/tmp'
import { addAudit, addRun, makeProjectFile, type ProjectFixture } from './fixture'

let cleanup: () => void
let api: Api
let f: ProjectFixture
let auditId: number

function value<T>(r: ApiResult<unknown>): T {
  if (!r.ok) throw new Error(`${r.code}: ${r.message}`)
  return r.value as T
}
function disk<T>(sql: string, ...params: unknown[]): T[] {
  const db = new Database(f.file, { readonly: true, fileMustExist: true })
  try {
    return db.prepare(sql).all(...params) as T[]
  } finally {
    db.close()
  }
}

beforeEach(async () => {
  const t = tempDir('poi-bulk-')
  cleanup = t.cleanup
  f = await makeProjectFile(t.dir, 30)
  api = createApi({ mode: 'test', actor: 'ann' })
  value(await api.dispatch('project.open', { path: f.file }))
  const db = api.session.require().db
  auditId = await addAudit(db, addRun(db, f.ids, 3, 0.3))
})
afterEach(async () => {
  await api.close()
  cleanup()
})

describe('review.bulkDecide', () => {
  it('relabel to the current label is recorded as kept; the rest relabeled; one batch', async () => {
    const rows = disk<{ id: number; label: number }>(
      'SELECT image_id AS id, current_label AS label FROM annotations ORDER BY image_id LIMIT 6'
    )
    const target = rows[0].label
    const r = value<BulkDecideResult>(
      await api.dispatch('review.bulkDecide', { imageIds: rows.map((x) => x.id), kind: 'relabel', label: target })
    )
    expect(r.decided).toBe(6)
    const states = disk<{ id: number; state: string; b: string }>(
      `SELECT image_id AS id, state, batch_id AS b FROM reviews WHERE image_id IN (${rows.map((x) => x.id).join(',')}) ORDER BY image_id`
    )
    expect(states.map((s) => s.state)).toEqual(rows.map((x) => (x.label === target ? 'kept' : 'relabeled')))
    expect(new Set(states.map((s) => s.b)).size).toBe(1)
  })

  it('accept takes only suggestions at least minStrength strong, and counts the rest as skipped', async () => {
    const items = disk<{ id: number; s: number | null; st: number | null }>(
      'SELECT image_id AS id, suggested_label AS s, strength AS st FROM audit_items WHERE audit_id = ?',
      auditId
    )
    const ids = items.map((i) => i.id)
    const cut = 0.2
    const strong = items.filter((i) => i.s != null && (i.st ?? 0) >= cut)
    expect(strong.length, 'the fixture has strong suggestions').toBeGreaterThan(0)
    expect(strong.length, 'and images left alone').toBeLessThan(ids.length)
    const r = value<BulkDecideResult>(
      await api.dispatch('review.bulkDecide', { imageIds: ids, kind: 'accept', minStrength: cut })
    )
    expect(r.decided).toBe(strong.length)
    expect(r.skipped).toBe(ids.length - strong.length)
    const accepted = disk<{ id: number }>(
      "SELECT image_id AS id FROM reviews WHERE state = 'accepted' ORDER BY image_id"
    ).map((x) => x.id)
    expect(accepted).toEqual(strong.map((i) => i.id).sort((a, b) => a - b))
    // The progress counter sees them: flagged reviewed and today's decisions (one bulk batch = one).
    const c = value<ImageCounts>(await api.dispatch('images.counts', {}))
    const flagged = disk<{ id: number }>(
      // The audit's work list: its own flags, kept in the signals where a decision's re-judgement changed them.
      "SELECT image_id AS id FROM audit_items WHERE audit_id = ? AND coalesce(json_extract(signals, '$.audit.flags'), flags) & 1",
      auditId
    ).map((x) => x.id)
    expect(c.progress.flagged).toBe(flagged.length)
    expect(c.progress.flaggedReviewed).toBe(flagged.filter((id) => accepted.includes(id)).length)
    expect(c.progress.decisionsToday).toBe(strong.length ? 1 : 0)
    expect(c.progress.reviewed).toBe(accepted.length)
    expect(c.confidence?.quantiles).toHaveLength(21)
  })
})
