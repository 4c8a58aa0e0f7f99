/**
 * Issue 14, defect 4: after a decision the image's flags, suggestion and "why" follow its new label.
 * reassessImages re-judges with the stored audit's thresholds through the same judge as the audit;
 * on unchanged labels it must give back exactly what the audit wrote. Then the API on a real project
 * file: a decision rewrites that image's audit item (and undo rewrites it back).
 */
import { afterAll, beforeAll, describe, expect, it } from 'vitest'
import { computeAudit, reassessImages, type AuditImage } from '../../../src-main/core/audit/engine'
import { img } from './audit-table'
import { resolveAuditConfig } from '../../../src-main/core/audit/config'
import { FLAG_BITS } from '../../../src-main/core/audit/flags'
import { createApi, type Api } from '../../../src-main/core/api/handlers'
import { openProject } from '../../../src-main/core/project'
import { tempDir } from '../../helpers/tmp'
import { addAudit, addRun, makeProjectFile } from '../api/fixture'

const classes = ['happiness', 'surprise', 'anger']
const table = (): AuditImage[] => [
  img(1, 0, [0.8, 0.1, 0.1], 0.9, { dupGroup: 100 }),
  img(2, 0, [0.7, 0.2, 0.1], 0.8),
  img(3, 0, [0.1, 0.8, 0.1], 0.9),
  img(4, 1, [0.1, 0.8, 0.1], 0.7, { dupGroup: 100 }),
  img(5, 1, [0.1, 0.7, 0.2], 0.95),
  img(6, 1, [0.1, 0.1, 0.8], 0.1),
  img(7, 2, [0.1, 0.1, 0.8], 0.85),
  img(8, 2, [0.2, 0.1, 0.7], 0.6),
  img(9, 2, [0.34, 0.33, 0.33], 0.5),
  img(10, null, null, null, { face: 'no-face' })
]

describe('reassessImages', () => {
  for (const method of ['poi', 'cl'] as const) {
    it(`gives back what the audit wrote while the labels are unchanged (${method})`, () => {
      const cfg = resolveAuditConfig({ method })
      const { items, summary } = computeAudit(classes, table(), cfg)
      const again = reassessImages(classes, table(), cfg, summary)
      const strip = (it: (typeof items)[number]) => ({
        ...it,
        rank: null,
        flags: method === 'cl' ? it.flags & ~FLAG_BITS.likely_mislabeled : it.flags
      })
      expect(again.map(strip)).toEqual(items.map(strip))
      if (method === 'poi') expect(again.map((it) => it.flags)).toEqual(items.map((it) => it.flags))
    })
  }

  it('follows a new label: accepting the suggestion clears the flag and the suggestion; the why names the new label', () => {
    const cfg = resolveAuditConfig({})
    const { items, summary } = computeAudit(classes, table(), cfg)
    const old = items.find((it) => it.imageId === 3)!
    expect(old.flags & FLAG_BITS.likely_mislabeled).not.toBe(0)
    expect(old.explanation.given).toBe('happiness')
    const t = table()
    t[2] = { ...t[2], label: 1, groupLabel: 1 }
    const [now] = reassessImages(classes, [t[2]], cfg, summary)
    expect(now.givenLabel).toBe(1)
    expect(now.suggestedLabel).toBeNull()
    expect(now.flags & FLAG_BITS.likely_mislabeled).toBe(0)
    expect(now.explanation.given).toBe('surprise')
    expect(now.score!).toBeGreaterThan(old.score!)
    // A relabel away from the evidence is flagged again, with the cut of the ranking.
    const [back] = reassessImages(classes, [{ ...t[2], label: 2, groupLabel: 2 }], cfg, summary)
    expect(back.suggestedLabel).toBe(1)
    expect(back.flags & FLAG_BITS.likely_mislabeled).not.toBe(0)
  })

  it('re-judges the duplicate group: same label on both copies clears duplicate_conflict on both', () => {
    const cfg = resolveAuditConfig({})
    const { items, summary } = computeAudit(classes, table(), cfg)
    expect(items.find((it) => it.imageId === 1)!.flags & FLAG_BITS.duplicate_conflict).not.toBe(0)
    const t = table()
    const group = [t[0], { ...t[3], label: 0, groupLabel: 0 }]
    const now = reassessImages(classes, group, cfg, summary)
    expect(now.map((it) => it.flags & FLAG_BITS.duplicate_conflict)).toEqual([0, 0])
  })
})

describe('a decision refreshes the audit item through the API (real project file)', () => {
  let api: Api
  let cleanup: () => void
  let file: string
  beforeAll(async () => {
    const t = tempDir('poi-reassess-')
    cleanup = t.cleanup
    const f = await makeProjectFile(t.dir, 60)
    file = f.file
    const p = openProject(f.file)
    try {
      const runId = addRun(
        p.db,
        Array.from({ length: 60 }, (_, i) => i + 1),
        3,
        0.3
      )
      await addAudit(p.db, runId)
    } finally {
      p.close()
    }
    api = createApi({ mode: 'test' })
    api.session.open(f.file)
  })
  afterAll(async () => {
    await api.close()
    cleanup()
  })

  type Detail = {
    annotation: { currentLabel: number }
    audit: {
      auditedLabel: number
      suggestedLabel: number | null
      flags: string[]
      explanation: { given: string; text: string }
    }
  }
  const detail = async (imageId: number): Promise<Detail> => {
    const r = (await api.dispatch('images.detail', { imageId })) as { ok: true; value: Detail }
    expect(r.ok).toBe(true)
    return r.value
  }

  it('accept: the stored item judges the accepted label; undo judges the old one again', async () => {
    const db = api.session.require().db
    const row = db
      .prepare(
        'SELECT image_id AS i, given_label AS g, suggested_label AS s, flags, explanation FROM audit_items WHERE suggested_label IS NOT NULL AND flags & 1 != 0 ORDER BY score LIMIT 1'
      )
      .get() as { i: number; g: number; s: number; flags: number; explanation: string }
    expect(row).toBeDefined()
    type Counts = { ok: true; value: { progress: { flagged: number; flaggedReviewed: number } } }
    const progress = async () => ((await api.dispatch('images.counts', {})) as Counts).value.progress
    const p0 = await progress()
    const before = await detail(row.i)
    expect(before.audit.flags).toContain('likely_mislabeled')
    const r = await api.dispatch('review.decide', { imageId: row.i, decision: { kind: 'accept', label: row.s } })
    expect(r.ok).toBe(true)
    const after = await detail(row.i)
    expect(after.annotation.currentLabel).toBe(row.s)
    expect(after.audit.auditedLabel).toBe(row.s)
    expect(after.audit.suggestedLabel).toBeNull()
    expect(after.audit.flags).not.toContain('likely_mislabeled')
    const classes = api.session.require().classes()
    expect(after.audit.explanation.given).toBe(classes[row.s])
    expect(after.audit.explanation.text).not.toBe(before.audit.explanation.text)
    // The audit's own judgement stays in the row (progress and the learning queue read it).
    const kept = JSON.parse(
      (db.prepare('SELECT signals FROM audit_items WHERE image_id = ?').get(row.i) as { signals: string }).signals
    ) as { audit?: { givenLabel: number; suggestedLabel: number; flags: number } }
    expect(kept.audit).toMatchObject({ givenLabel: row.g, suggestedLabel: row.s, flags: row.flags })
    // Queue rows (the grid's badges) read the same rows.
    const q = (await api.dispatch('images.queue', { filter: { review: 'any' }, limit: 500 })) as {
      ok: true
      value: {
        items: {
          imageId: number
          flags: string[]
          suggested: number | null
          strength: number | null
          score: number | null
          rank: number | null
        }[]
      }
    }
    const qi = q.value.items.find((x) => x.imageId === row.i)!
    expect(qi.flags).not.toContain('likely_mislabeled')
    expect(qi.suggested).toBeNull()
    // The decision's answer carries the same re-judged fields (the Review grid patches its row from it).
    const sent = (r as { ok: true; value: { audit: Record<string, unknown> | null } }).value.audit
    expect(sent).toEqual({
      suggested: qi.suggested,
      strength: qi.strength,
      score: qi.score,
      rank: qi.rank,
      flags: qi.flags
    })
    // The progress counter counts the audit's work list: the accepted image is still one of it, now reviewed.
    expect(await progress()).toMatchObject({ flagged: p0.flagged, flaggedReviewed: p0.flaggedReviewed + 1 })
    // Undo: the old label, its flag and its explanation come back exactly.
    expect((await api.dispatch('review.undo', {})).ok).toBe(true)
    const undone = db
      .prepare('SELECT given_label AS g, suggested_label AS s, flags, explanation FROM audit_items WHERE image_id = ?')
      .get(row.i)
    expect(undone).toEqual({ g: row.g, s: row.s, flags: row.flags, explanation: row.explanation })
    const signals = (db.prepare('SELECT signals FROM audit_items WHERE image_id = ?').get(row.i) as { signals: string })
      .signals
    expect(JSON.parse(signals)).not.toHaveProperty('audit')
    expect(file).toBeTruthy()
  })
})
