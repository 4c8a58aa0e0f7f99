/**
 * runs.detail: per-class precision / recall of a run's predictions (TRN argmax) against the current
 * labels, computed here independently from the same SQLite file, plus its stored epochs.
 */
import { afterAll, describe, expect, it } from 'vitest'
import { createApi } from '../../../src-main/core/api/handlers'
import { openProjectDb } from '../../../src-main/core/store/db'
import { addEpoch, decodeF32, finishRun } from '../../../src-main/core/store/runs'
import { tempDir } from '../../helpers/tmp'
import { addRun, makeProjectFile } from './fixture'

describe('runs.detail', () => {
  const tmp = tempDir('poi-rundetail-')
  afterAll(() => tmp.cleanup())

  it('gives per-class precision and recall, the basis, validation accuracy and curves', async () => {
    const f = await makeProjectFile(tmp.dir, 70)
    const p = openProjectDb(f.file)
    const runId = addRun(p.db, f.ids, 3, 0.3)
    addEpoch(p.db, runId, 1, { loss: { total: 1.5 }, trainAcc: 0.3, valAcc: 0.25 })
    addEpoch(p.db, runId, 2, { loss: { total: 1.1 }, trainAcc: 0.5, valAcc: 0.4 })
    finishRun(p.db, runId, { status: 'done', metrics: { valSource: 'holdout', final: [{ valAcc: 0.4 }] } })
    // The expected figures, straight from the rows.
    const rows = p.db
      .prepare(
        'SELECT p.trn_probs AS b, a.current_label AS y FROM predictions p JOIN annotations a USING (image_id) WHERE p.run_id = ?'
      )
      .all(runId) as { b: Buffer; y: number }[]
    const pred = rows.map((r) => {
      const v = decodeF32(r.b)
      return v.indexOf(Math.max(...v))
    })
    p.close()
    const api = createApi({ mode: 'browser', project: f.file })
    try {
      const r = await api.dispatch('runs.detail', { runId })
      expect(r.ok).toBe(true)
      const d = (r as { value: import('../../../src-main/core/api/contract').RunDetail }).value
      expect(d.basis).toBe('all scored images')
      expect(d.valAcc).toBeCloseTo(0.4)
      expect(d.epochs.map((e) => [e.epoch, e.loss, e.valAcc])).toEqual([
        [1, 1.5, 0.25],
        [2, 1.1, 0.4]
      ])
      expect(d.images).toBe(70)
      for (let c = 0; c < d.perClass.length; c++) {
        const tp = rows.filter((r, i) => r.y === c && pred[i] === c).length
        const support = rows.filter((r) => r.y === c).length
        const predicted = pred.filter((x) => x === c).length
        expect(d.perClass[c].support).toBe(support)
        expect(d.perClass[c].recall).toBeCloseTo(tp / support)
        expect(d.perClass[c].precision).toBe(predicted ? tp / predicted : null)
      }
      expect(d.accuracy).toBeCloseTo(rows.filter((r, i) => r.y === pred[i]).length / 70)
      expect(await api.dispatch('runs.detail', { runId: 999 })).toMatchObject({ ok: false, code: 'NOT_FOUND' })
    } finally {
      await api.close()
    }
  })
})
