import { afterEach, describe, expect, it } from 'vitest'
import { tempDir } from '../../helpers/tmp'
import { makeProject, type Fixture } from './helpers'
import {
  createRun,
  decodeF32,
  encodeF32,
  finishRun,
  getPrediction,
  predictionCounts,
  readPredictions,
  writePredictions
} from '../../../src-main/core/store/runs'
import {
  auditItems,
  auditSummary,
  getAudit,
  getAuditItem,
  latestAudit,
  runAudit
} from '../../../src-main/core/audit/store'
import { FLAG_BITS } from '../../../src-main/core/audit/flags'
import { applyChanges } from '../../../src-main/core/store/labels'
import { openProject } from '../../../src-main/core/project'
import { ProjectError } from '../../../src-main/core/store/errors'

let fx: Fixture | null = null
let cleanup: (() => void) | null = null
afterEach(() => {
  fx?.p.close()
  fx = null
  cleanup?.()
  cleanup = null
})

function project(): Fixture {
  const t = tempDir('poi-audit-')
  cleanup = t.cleanup
  // Classes: 0 neutral, 1 happiness, 2 surprise.
  fx = makeProject(
    t.dir,
    ['neutral', 'happiness', 'surprise'],
    [
      { relPath: 'a.jpg', label: 0, dupGroup: 1 },
      { relPath: 'b.jpg', label: 1, dupGroup: 1 },
      { relPath: 'c.jpg', label: 1 },
      { relPath: 'd.jpg', label: 2, votes: [1, 2, 7] },
      { relPath: 'e.jpg', label: 0 },
      { relPath: 'f.jpg', label: null },
      { relPath: 'g.jpg', label: 2 }
    ]
  )
  return fx
}

function softmaxish(k: number, p: number, C = 3): number[] {
  return Array.from({ length: C }, (_, i) => (i === k ? p : (1 - p) / (C - 1)))
}

function addRun(f: Fixture, kfold = true): number {
  const db = f.p.db
  const runId = createRun(db, { kind: kfold ? 'poi-kfold' : 'poi', config: { folds: 2 }, classes: f.classes })
  const mk = (id: number, k: number, p: number, c: number) => ({
    imageId: id,
    fold: kfold ? id % 2 : null,
    trnProbs: softmaxish(k, p),
    oimSoft: softmaxish(k, 0.5),
    oimSoftT1: softmaxish(k, p),
    regionProbs: [...softmaxish(k, p), ...softmaxish(k, p), ...softmaxish(k, p), ...softmaxish(k, p)],
    gate: [0.25, 0.25, 0.25, 0.25],
    uemUncertainty: 1 - c,
    uemConfidence: c,
    auProb: new Array(26).fill(0.1),
    auImportance: new Array(26).fill(0.5)
  })
  const [a, b, c, d, e, , g] = f.ids
  writePredictions(db, runId, [
    mk(a, 0, 0.9, 0.9),
    mk(b, 1, 0.9, 0.8),
    mk(c, 0, 0.85, 0.95),
    mk(d, 2, 0.8, 0.7),
    mk(e, 0, 0.8, 0.6),
    mk(g, 2, 0.9, 0.5)
  ])
  finishRun(db, runId, { status: 'done', metrics: { acc: 1 } })
  return runId
}

describe('runs and predictions store', () => {
  it('round-trips Float32 BLOBs and checks lengths', () => {
    const f = project()
    const runId = addRun(f)
    const p = getPrediction(f.p.db, runId, f.ids[0])!
    expect(Array.from(p.trnProbs)).toEqual(Array.from(Float32Array.from(softmaxish(0, 0.9))))
    expect(p.regionProbs!.length).toBe(12)
    expect(p.fold).toBe(f.ids[0] % 2)
    expect(readPredictions(f.p.db, runId)).toHaveLength(6)
    expect(predictionCounts(f.p.db, runId)).toEqual({ total: 6, outOfSample: 6 })
    expect(() => writePredictions(f.p.db, runId, [{ ...p, trnProbs: [0.5, 0.5] }])).toThrow(
      /trnProbs has 2 values, expected 3/
    )
    expect(() => writePredictions(f.p.db, runId, [{ ...p, gate: [NaN, 0, 0, 1] }])).toThrow(/gate\[0\] is NaN/)
    expect(Array.from(decodeF32(encodeF32([1.5, -2])))).toEqual([1.5, -2])
    expect(() => decodeF32(Buffer.alloc(5))).toThrow(/not a multiple of 4/)
  })
})

describe('runAudit', () => {
  it('stores items, config and summary; latestAudit and auditSummary read them back', async () => {
    const f = project()
    const runId = addRun(f)
    const phases: string[] = []
    const auditId = await runAudit(
      f.p.db,
      runId,
      { ambiguous: { mode: 'flat' } },
      { progress: (e) => phases.push(e.phase) }
    )
    expect(phases[0]).toBe('reading')
    expect(phases[phases.length - 1]).toBe('done')
    const audit = latestAudit(f.p.db)!
    expect(audit.id).toBe(auditId)
    expect(audit.runId).toBe(runId)
    expect(audit.config.ambiguous.mode).toBe('flat')
    expect(audit.config.score.softWeight).toBe(0.5) // defaults are stored too
    expect(audit.summary.classes).toEqual(['neutral', 'happiness', 'surprise'])
    expect(audit.summary.scored).toBe(6)
    expect(audit.summary.skipped).toEqual({ noPrediction: 0, unlabelled: 1, classNotInRun: 0 })
    expect(audit.summary.predictions).toEqual({ total: 6, outOfSample: 6 })
    expect(audit.summary.warnings).toEqual([])

    const [a, b, c] = f.ids
    // c is labelled happiness but both views say neutral with high confidence.
    const items = auditItems(f.p.db, auditId, { scoredOnly: true })
    expect(items[0].imageId).toBe(c)
    expect(items[0].rank).toBe(1)
    expect(items[0].flags).toContain('likely_mislabeled')
    expect(items[0].suggestedLabel).toBe(0)
    expect(items[0].explanation!.text).toContain('labelled: happiness; suggested: neutral')
    expect(items[0].signals!.trnSelfConfidence).toBeCloseTo(0.075, 5)
    // a and b are the same bytes with different labels.
    expect(getAuditItem(f.p.db, auditId, a)!.flags).toContain('duplicate_conflict')
    expect(
      auditItems(f.p.db, auditId, { flag: 'duplicate_conflict' })
        .map((i) => i.imageId)
        .sort()
    ).toEqual([a, b])
    expect(auditItems(f.p.db, auditId, { flag: 'likely_mislabeled' }).map((i) => i.imageId)).toEqual([c])

    const table = auditSummary(f.p.db, auditId)
    const happy = table.rows.find((r) => r.name === 'happiness')!
    expect(happy.counts[table.flags.indexOf('likely_mislabeled')]).toBe(1)
    expect(happy.counts[table.flags.indexOf('duplicate_conflict')]).toBe(1)
    expect(table.totals[table.flags.indexOf('duplicate_conflict')]).toBe(2)
    expect(happy.reviewed[table.flags.indexOf('likely_mislabeled')]).toBe(0)

    // After a curator decision the item shows the new current label and counts as reviewed.
    applyChanges(f.p.db, [{ imageId: c, label: 0, review: 'relabeled' }], { actor: 't', source: 'curator' })
    const after = getAuditItem(f.p.db, auditId, c)!
    expect(after.givenLabel).toBe(1)
    expect(after.currentLabel).toBe(0)
    expect(auditSummary(f.p.db, auditId).rows.find((r) => r.name === 'happiness')!.reviewed[0]).toBe(1)
  })

  it('uses the flag and score indexes', async () => {
    const f = project()
    const auditId = await runAudit(f.p.db, addRun(f))
    const plan = (sql: string): string =>
      (f.p.db.prepare(`EXPLAIN QUERY PLAN ${sql}`).all() as { detail: string }[]).map((r) => r.detail).join(' | ')
    expect(
      plan(`SELECT * FROM audit_items ai WHERE ai.audit_id = ${auditId} AND ai.flags & 1 != 0 ORDER BY ai.score`)
    ).toMatch(/INDEX audit_items_f_mislabeled/)
    expect(
      plan(`SELECT * FROM audit_items ai WHERE ai.audit_id = ${auditId} AND ai.flags & 8 != 0 ORDER BY ai.score`)
    ).toMatch(/INDEX audit_items_f_duplicate/)
    expect(
      plan(
        `SELECT * FROM audit_items ai WHERE ai.audit_id = ${auditId} AND ai.score IS NOT NULL ORDER BY ai.score, ai.image_id`
      )
    ).toMatch(/INDEX audit_items_score/)
    expect(plan(`SELECT * FROM audit_items WHERE audit_id = ${auditId} ORDER BY rank`)).toMatch(
      /INDEX audit_items_rank/
    )
  })

  it('warns about in-sample predictions and runs the CL baseline', async () => {
    const f = project()
    const runId = addRun(f, false)
    const auditId = await runAudit(f.p.db, runId, { method: 'cl' })
    const audit = getAudit(f.p.db, auditId)!
    expect(audit.method).toBe('cl')
    expect(audit.summary.warnings.join()).toMatch(/100% of the run's predictions are in-sample/)
    expect(audit.summary.calibratedJoint).toHaveLength(3)
    const top = auditItems(f.p.db, auditId, { scoredOnly: true, limit: 1 })[0]
    expect(top.imageId).toBe(f.ids[2])
    expect(top.score).toBeCloseTo(0.075, 5) // self-confidence
  })

  it('refuses unknown or running runs, and a cancelled audit writes nothing', async () => {
    const f = project()
    await expect(runAudit(f.p.db, 99)).rejects.toThrow(ProjectError)
    const running = createRun(f.p.db, { kind: 'poi', config: {}, classes: f.classes })
    await expect(runAudit(f.p.db, running)).rejects.toThrow(/still running/)
    const runId = addRun(f)
    const ac = new AbortController()
    await expect(
      runAudit(f.p.db, runId, {}, { signal: ac.signal, progress: (e) => e.phase === 'scoring' && ac.abort() })
    ).rejects.toThrow(/abort/i)
    expect(latestAudit(f.p.db)).toBeNull()
    await expect(runAudit(f.p.db, runId, { score: { softWeight: 7 } })).rejects.toThrow(/score.softWeight/)
  })

  it('reads no_face / several_faces from the faces table', async () => {
    const f = project()
    const db = f.p.db
    const hasFaces = db.prepare("SELECT 1 FROM sqlite_schema WHERE name = 'faces'").get()
    if (hasFaces) {
      // The aligner's table (migration 0030): fill its required columns.
      const ins = db.prepare(
        "INSERT INTO faces (image_id, status, mode, faces_found, updated_at) VALUES (?, ?, 'auto', ?, 'now')"
      )
      ins.run(f.ids[5], 'no-face', 0)
      ins.run(f.ids[4], 'several-faces', 2)
      ins.run(f.ids[0], 'aligned', 1)
    } else {
      db.exec('CREATE TABLE faces (image_id INTEGER PRIMARY KEY, status TEXT NOT NULL)')
      db.prepare(
        "INSERT INTO faces (image_id, status) VALUES (?, 'no-face'), (?, 'several-faces'), (?, 'aligned')"
      ).run(f.ids[5], f.ids[4], f.ids[0])
    }
    const auditId = await runAudit(db, addRun(f))
    expect(getAudit(db, auditId)!.summary.faceFlags).toBe(true)
    expect(getAuditItem(db, auditId, f.ids[5])!.flags).toEqual(['no_face'])
    expect(getAuditItem(db, auditId, f.ids[4])!.flagMask & FLAG_BITS.several_faces).toBeTruthy()
    expect(getAuditItem(db, auditId, f.ids[0])!.flagMask & (FLAG_BITS.no_face | FLAG_BITS.several_faces)).toBe(0)
  })

  it('persists across reopen (a real file) and the migration is in place', async () => {
    const f = project()
    const auditId = await runAudit(f.p.db, addRun(f))
    f.p.close()
    const again = openProject(f.file)
    fx = { ...f, p: again }
    expect(latestAudit(again.db)!.id).toBe(auditId)
    expect(again.db.pragma('user_version', { simple: true })).toBeGreaterThanOrEqual(40)
  })
})
