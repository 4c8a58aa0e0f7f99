/**
 * images.queue / images.detail at FER2013 scale (35,887 images) with a run and an audit: every query
 * the review screen makes must stay interactive. Prints the measured medians; the limits are loose
 * (shared 2-core CI machines) but catch a lost index or an OFFSET scan, which cost 10–100×.
 */
import { afterAll, beforeAll, describe, expect, it } from 'vitest'
import { createApi, type Api } from '../../../src-main/core/api/handlers'
import type { ApiResult, QueuePage } from '../../../src-main/core/api/contract'
import { createProject } from '../../../src-main/core/project'
import { tempDir } from '../../helpers/tmp'
import { addAudit, addRun, seedRows } from './fixture'
import { join } from 'node:path'

const N = 35_887
let cleanup: () => void
let api: Api

function value<T>(r: ApiResult<unknown>): T {
  if (!r.ok) throw new Error(`${r.code}: ${r.message}`)
  return r.value as T
}

async function median(fn: () => Promise<unknown>, reps = 7): Promise<number> {
  const t: number[] = []
  for (let i = 0; i < reps; i++) {
    const s = performance.now()
    await fn()
    t.push(performance.now() - s)
  }
  return t.sort((a, b) => a - b)[Math.floor(reps / 2)]
}

beforeAll(async () => {
  const t = tempDir('poi-scale-')
  cleanup = t.cleanup
  const file = join(t.dir, 'big.poi')
  const p = createProject(file)
  seedRows(p.db, join(t.dir, 'data'), N)
  const ids = Array.from({ length: N }, (_, i) => i + 1)
  const runId = addRun(p.db, ids, 11, 0.2)
  await addAudit(p.db, runId)
  p.close()
  api = createApi({ mode: 'test' })
  api.session.open(file)
}, 300_000)
afterAll(async () => {
  await api.close()
  cleanup()
})

describe(`queue and detail at ${N} images`, () => {
  it('stays interactive', async () => {
    const q = (args: object) => api.dispatch('images.queue', args).then((r) => value<QueuePage>(r))
    let deep: string | null = null
    let cursor: string | undefined
    for (let i = 0; i < 50; i++) {
      const p = await q({ limit: 100, cursor })
      cursor = p.nextCursor ?? undefined
    }
    deep = cursor ?? null
    expect(deep).not.toBeNull()
    const figures: Record<string, number> = {
      'overview.stats (first call)': await median(() => api.dispatch('overview.stats', {}), 1),
      'queue first page (score, with total)': await median(() => q({ limit: 100 })),
      'queue page 51 (keyset)': await median(() => q({ limit: 100, cursor: deep! })),
      'queue flag filter + given': await median(() =>
        q({ limit: 100, filter: { flags: ['likely_mislabeled'], given: [3] } })
      ),
      'queue confidence sort': await median(() => q({ limit: 100, sort: { by: 'confidence', dir: 'asc' } })),
      'queue unreviewed by id': await median(() =>
        q({ limit: 100, sort: { by: 'id' }, filter: { review: 'unreviewed' } })
      ),
      'images.counts (all facets)': await median(() => api.dispatch('images.counts', {})),
      'images.detail': await median(() => api.dispatch('images.detail', { imageId: 12345 })),
      'review.decide + next': await median(() =>
        api.dispatch('review.decide', {
          imageId: 777,
          decision: { kind: 'skip' },
          next: { filter: { review: 'unreviewed' } }
        })
      ),
      'overview.stats (cached)': await median(() => api.dispatch('overview.stats', {}), 3)
    }
    // With the statistics session.open refreshes, the joins read the covering indexes (migration 0060).
    const db = api.session.require().db
    const plan = (sql: string) =>
      (db.prepare(`EXPLAIN QUERY PLAN ${sql}`).all() as { detail: string }[]).map((r) => r.detail).join(' | ')
    expect(
      plan(
        'SELECT sum(ai.flags & 1 != 0) FROM images i LEFT JOIN audit_items ai ON ai.audit_id = 1 AND ai.image_id = i.id'
      )
    ).toContain('audit_items_cover')
    expect(
      plan('SELECT p.uem_confidence FROM images i LEFT JOIN predictions p ON p.run_id = 1 AND p.image_id = i.id')
    ).toContain('predictions_cover')
    console.log(
      Object.entries(figures)
        .map(([k, v]) => `${k.padEnd(40)} ${v.toFixed(1)} ms`)
        .join('\n')
    )
    for (const [k, v] of Object.entries(figures)) {
      // decide includes an fsync (synchronous=FULL); counts scan every image once per facet.
      const cap = k.includes('first call') ? 3000 : k.includes('counts') || k.includes('decide') ? 400 : 100
      expect(v, k).toBeLessThan(cap)
    }
  })
})
