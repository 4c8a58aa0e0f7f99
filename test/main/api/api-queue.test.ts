import { afterAll, beforeAll, describe, expect, it } from 'vitest'
import { createApi, type Api } from '../../../src-main/core/api/handlers'
import type {
  ApiResult,
  ImageCounts,
  ImageDetail,
  OverviewStats,
  QueueItem,
  QueuePage
} from '../../../src-main/core/api/contract'
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

async function allPages(args: Record<string, unknown>, limit: number): Promise<QueueItem[]> {
  const out: QueueItem[] = []
  let cursor: string | undefined
  for (let guard = 0; guard < 1000; guard++) {
    const page = value<QueuePage>(await api.dispatch('images.queue', { ...args, limit, ...(cursor ? { cursor } : {}) }))
    out.push(...page.items)
    if (!page.nextCursor) return out
    cursor = page.nextCursor
  }
  throw new Error('paging did not end')
}

beforeAll(async () => {
  const t = tempDir('poi-queue-')
  cleanup = t.cleanup
  f = await makeProjectFile(t.dir, 60)
  api = createApi({ mode: 'test' })
  value(await api.dispatch('project.open', { path: f.file }))
  const db = api.session.require().db
  const before = value<QueuePage>(await api.dispatch('images.queue', {}))
  expect(before.auditId).toBeNull()
  const runId = addRun(db, f.ids.slice(0, 50), 3, 0.3) // images 51..60 have no prediction
  auditId = await addAudit(db, runId)
})
afterAll(async () => {
  await api.close()
  cleanup()
})

describe('images.queue', () => {
  it('defaults to score order with unscored images last, and pages cover everything once', async () => {
    const first = value<QueuePage>(await api.dispatch('images.queue', { limit: 7 }))
    expect(first.auditId).toBe(auditId)
    expect(first.total).toBe(60)
    const all = await allPages({}, 7)
    expect(all).toHaveLength(60)
    expect(new Set(all.map((i) => i.imageId)).size).toBe(60)
    const scored = all.filter((i) => i.score != null)
    const unscored = all.slice(scored.length)
    expect(unscored.every((i) => i.score == null)).toBe(true)
    for (let k = 1; k < scored.length; k++) expect(scored[k].score!).toBeGreaterThanOrEqual(scored[k - 1].score!)
    expect(unscored.map((i) => i.imageId)).toEqual([...unscored.map((i) => i.imageId)].sort((a, b) => a - b))
    expect(all[0].rank).toBe(1)
  })

  it('pages in every sort and direction match one big page', async () => {
    for (const sort of [
      { by: 'id', dir: 'asc' },
      { by: 'id', dir: 'desc' },
      { by: 'score', dir: 'desc' },
      { by: 'confidence', dir: 'asc' },
      { by: 'confidence', dir: 'desc' }
    ]) {
      const big = value<QueuePage>(await api.dispatch('images.queue', { sort, limit: 500 })).items.map((i) => i.imageId)
      const paged = (await allPages({ sort }, 4)).map((i) => i.imageId)
      expect(paged, JSON.stringify(sort)).toEqual(big)
      expect(big).toHaveLength(60)
    }
    const desc = value<QueuePage>(
      await api.dispatch('images.queue', { sort: { by: 'id', dir: 'desc' }, limit: 3 })
    ).items
    expect(desc.map((i) => i.imageId)).toEqual([60, 59, 58])
  })

  it('filters: given, pair, flags, review, confidence, split, duplicates, path', async () => {
    const given = await allPages({ filter: { given: [2] }, sort: { by: 'id' } }, 100)
    expect(given.map((i) => i.imageId)).toEqual(f.ids.filter((i) => i % 7 === 2))
    const suspicious = await allPages({ filter: { flags: ['likely_mislabeled'] } }, 100)
    expect(suspicious.length).toBeGreaterThan(0)
    expect(suspicious.every((i) => i.flags.includes('likely_mislabeled'))).toBe(true)
    const someCell = suspicious.find((i) => i.suggested != null && i.given != null)!
    const cell = await allPages({ filter: { pair: { given: someCell.given!, suggested: someCell.suggested! } } }, 100)
    expect(cell.map((i) => i.imageId)).toContain(someCell.imageId)
    expect(cell.every((i) => i.given === someCell.given && i.suggested === someCell.suggested)).toBe(true)
    const conf = await allPages({ filter: { confidence: { min: 0.5, max: 1 } } }, 100)
    expect(conf.every((i) => i.confidence! >= 0.5)).toBe(true)
    expect(conf.length).toBeLessThan(50)
    expect((await allPages({ filter: { splits: ['test'] } }, 100)).map((i) => i.imageId).sort((a, b) => a - b)).toEqual(
      [10, 20, 30, 40, 50, 60]
    )
    expect((await allPages({ filter: { duplicatesOnly: true } }, 100)).map((i) => i.imageId).sort()).toEqual([1, 2])
    expect((await allPages({ filter: { pathContains: 'img1' } }, 100)).length).toBe(11) // img1, img10..img19
    expect((await allPages({ filter: { pathContains: '%' } }, 100)).length).toBe(0)
    value(await api.dispatch('review.decide', { imageId: 33, decision: { kind: 'skip' } }))
    value(await api.dispatch('review.decide', { imageId: 34, decision: { kind: 'keep' } }))
    expect((await allPages({ filter: { review: 'skipped' } }, 100)).map((i) => i.imageId)).toEqual([33])
    expect((await allPages({ filter: { review: 'reviewed' } }, 100)).map((i) => i.imageId)).toEqual([34])
    expect((await allPages({ filter: { review: 'unreviewed' } }, 100)).length).toBe(58)
    expect((await allPages({ filter: { decisions: ['kept'] } }, 100)).map((i) => i.imageId)).toEqual([34])
    // A client re-reading the rows it shows: exactly those, ANDed with the rest, as full rows.
    const rows = await allPages({ filter: { imageIds: [34, 3, 9, 33] }, sort: { by: 'id' } }, 100)
    expect(rows.map((i) => i.imageId)).toEqual([3, 9, 33, 34])
    expect(rows[3]).toMatchObject({ review: 'kept' })
    expect(
      (await allPages({ filter: { imageIds: [3, 9, 33, 34], review: 'reviewed' } }, 100)).map((i) => i.imageId)
    ).toEqual([34])
  })

  it('refuses bad filters and foreign cursors with INVALID_ARGS', async () => {
    expect(await api.dispatch('images.queue', { filter: { given: [9] } })).toMatchObject({
      ok: false,
      code: 'INVALID_ARGS'
    })
    expect(await api.dispatch('images.queue', { filter: { flags: ['made_up'] } })).toMatchObject({
      ok: false,
      code: 'INVALID_ARGS'
    })
    expect(await api.dispatch('images.queue', { filter: { confidence: { min: 0.9, max: 0.1 } } })).toMatchObject({
      ok: false,
      code: 'INVALID_ARGS'
    })
    const p = value<QueuePage>(await api.dispatch('images.queue', { sort: { by: 'id' }, limit: 2 }))
    expect(await api.dispatch('images.queue', { sort: { by: 'score' }, cursor: p.nextCursor })).toMatchObject({
      ok: false,
      code: 'INVALID_ARGS'
    })
    expect(await api.dispatch('images.queue', { cursor: 'garbage!!' })).toMatchObject({
      ok: false,
      code: 'INVALID_ARGS'
    })
    expect(await api.dispatch('images.queue', { limit: 501 })).toMatchObject({ ok: false, code: 'INVALID_ARGS' })
    for (const imageIds of [[], Array.from({ length: 501 }, (_, i) => i + 1), [0], [1.5]])
      expect(await api.dispatch('images.queue', { filter: { imageIds } })).toMatchObject({
        ok: false,
        code: 'INVALID_ARGS'
      })
    // An assignment is a share of the work, not a list of rows.
    expect(await api.dispatch('assignments.set', { actor: 'bob', filter: { imageIds: [1] } })).toMatchObject({
      ok: false,
      code: 'INVALID_ARGS'
    })
  })
})

describe('images.counts, images.detail, overview.stats', () => {
  it('counts facets for a filter', async () => {
    const c = value<ImageCounts>(await api.dispatch('images.counts', {}))
    expect(c.total).toBe(60)
    expect(c.given.reduce((a, b) => a + b, 0)).toBe(60)
    expect(c.splits).toMatchObject({ test: 6, train: 54 })
    expect(c.flags).not.toBeNull()
    const some = value<ImageCounts>(await api.dispatch('images.counts', { filter: { given: [0, 1] } }))
    expect(some.total).toBe(some.given[0] + some.given[1])
  })

  it('returns the full detail of an image with regions, AUs and the audit explanation', async () => {
    const d = value<ImageDetail>(await api.dispatch('images.detail', { imageId: 1 }))
    expect(d.classes).toHaveLength(7)
    expect(d.image).toMatchObject({ id: 1, relPath: 'imgs/img1.png', dupGroup: 1 })
    expect(d.image.duplicates).toEqual([{ imageId: 2, currentLabel: 2, state: 'labeled' }])
    expect(d.prediction!.trnProbs).toHaveLength(7)
    expect(d.prediction!.regions!.map((r) => r.region)).toEqual(['UL', 'UR', 'LL', 'LR'])
    expect(d.prediction!.regions![0].aus.map((a) => a.au)).toEqual([1, 2, 4, 5, 6, 9])
    expect(d.prediction!.regions![3].aus.map((a) => a.au)).toEqual([10, 12, 14, 15, 17, 24, 26])
    expect(d.prediction!.regions!.reduce((s, r) => s + r.gate!, 0)).toBeCloseTo(1, 5)
    expect(d.prediction!.priorSupport).toHaveLength(7)
    expect(d.audit).toMatchObject({ auditId })
    expect(d.audit!.explanation).not.toBeNull()
    const none = value<ImageDetail>(await api.dispatch('images.detail', { imageId: 55 }))
    expect(none.prediction).toBeNull()
    expect(none.face).toBeNull()
    api.session
      .require()
      .db.prepare(
        `INSERT INTO faces (image_id, status, mode, det_score, box, landmarks, faces_found, updated_at)
         VALUES (55, 'several-faces', 'auto', 0.91, '[1,2,10,12]', NULL, 2, 'now')`
      )
      .run()
    const withFace = value<ImageDetail>(await api.dispatch('images.detail', { imageId: 55 }))
    expect(withFace.face).toEqual({
      status: 'several-faces',
      facesFound: 2,
      box: [1, 2, 10, 12],
      detectorScore: 0.91,
      landmarks: null
    })
    expect(await api.dispatch('images.detail', { imageId: 61 })).toMatchObject({ ok: false, code: 'NOT_FOUND' })
  })

  it('builds the overview: confusion (audit), histogram, AU heatmap, flags per class', async () => {
    const o = value<OverviewStats>(await api.dispatch('overview.stats', {}))
    expect(o.total).toBe(60)
    expect(o.classCounts.current.reduce((a, b) => a + b, 0)).toBe(60)
    expect(o.confusion!.source).toBe('audit')
    const cells = o.confusion!.matrix.flat().reduce((a, b) => a + b, 0)
    expect(cells).toBeGreaterThan(0)
    expect(cells).toBeLessThanOrEqual(50)
    expect(o.confidence!.counts.reduce((a, b) => a + b, 0)).toBe(50)
    expect(o.confidence!.edges).toHaveLength(21)
    expect(o.auHeatmap!.mean).toHaveLength(7)
    expect(o.auHeatmap!.mean[0]).toHaveLength(13)
    expect(o.auHeatmap!.imagesPerClass.reduce((a, b) => a + b, 0)).toBe(50)
    expect(o.flags!.names).toContain('likely_mislabeled')
    const k = o.flags!.names.indexOf('likely_mislabeled')
    expect(o.flags!.perClass[k].reduce((a, b) => a + b, 0)).toBe(o.flags!.totals[k])
  })
})
