/**
 * Review split between curators (issue 17): assignments, the "mine" queue and the adjudicate queue, through the
 * real API on one real project file worked on by several curators in turn (one writer per project, so each
 * curator's API opens the file, acts, and closes it again).
 */
import { afterEach, beforeEach, describe, expect, it } from 'vitest'
import Database from 'better-sqlite3'
import { createApi, type Api } from '../../../src-main/core/api/handlers'
import type { ApiResult, AssignmentView, ImageCounts, QueuePage, UndoResult } from '../../../src-main/core/api/contract'
import { tempDir } from '../../helpers/tmp'
import { makeProjectFile, type ProjectFixture } from './fixture'

let cleanup: () => void
let f: ProjectFixture

function value<T>(r: ApiResult<unknown>): T {
  if (!r.ok) throw new Error(`${r.code}: ${r.message}`)
  return r.value as T
}

/** Runs `fn` as curator `actor`: a fresh API over the project file, closed afterwards. */
async function as<T>(actor: string, fn: (api: Api) => Promise<T>): Promise<T> {
  const api = createApi({ mode: 'test', actor })
  try {
    value(await api.dispatch('project.open', { path: f.file }))
    return await fn(api)
  } finally {
    await api.close()
  }
}

const queueIds = async (api: Api, filter: Record<string, unknown>): Promise<number[]> =>
  value<QueuePage>(await api.dispatch('images.queue', { filter, sort: { by: 'id' } })).items.map((i) => i.imageId)

const relabel = (api: Api, imageId: number, label: number): Promise<ApiResult<unknown>> =>
  api.dispatch('review.decide', { imageId, decision: { kind: 'relabel', label } })

const waiting = async (api: Api): Promise<number> =>
  value<ImageCounts>(await api.dispatch('images.counts', {})).progress.adjudicate

beforeEach(async () => {
  const t = tempDir('poi-assign-')
  cleanup = t.cleanup
  f = await makeProjectFile(t.dir, 30) // labels i % 7
})
afterEach(() => cleanup())

describe('assignments', () => {
  it('are set, replaced, listed with their image counts, and removed, on disk for the next curator', async () => {
    await as('lead', async (api) => {
      const events: string[] = []
      api.subscribe((e) => void (e.type === 'project.changed' && events.push(e.what)))
      expect(value(await api.dispatch('app.info', {}))).toMatchObject({ actor: 'lead' })
      const a = value<AssignmentView>(
        await api.dispatch('assignments.set', { actor: 'bob', filter: { given: [2], review: 'unreviewed' } })
      )
      expect(a).toMatchObject({ actor: 'bob', createdBy: 'lead', images: 5 })
      value(await api.dispatch('assignments.set', { actor: 'ann', filter: { given: [3] } }))
      // Setting bob again replaces his assignment.
      value(await api.dispatch('assignments.set', { actor: 'bob', filter: { given: [2, 4] } }))
      // Every window hears of each change (the Team list and the curators' "Mine" queues follow).
      expect(events.filter((w) => w === 'assignments')).toHaveLength(3)
      value(await api.dispatch('assignments.remove', { actor: 'nobody' }))
      expect(events.filter((w) => w === 'assignments')).toHaveLength(3)
    })
    const db = new Database(f.file, { readonly: true })
    expect(db.prepare('SELECT actor, filter, created_by AS by FROM assignments ORDER BY actor').all()).toEqual([
      { actor: 'ann', filter: '{"given":[3]}', by: 'lead' },
      { actor: 'bob', filter: '{"given":[2,4]}', by: 'lead' }
    ])
    db.close()
    await as('ann', async (api) => {
      const list = value<AssignmentView[]>(await api.dispatch('assignments.list', {}))
      expect(list.map((x) => [x.actor, x.filter, x.images])).toEqual([
        ['ann', { given: [3] }, 4],
        ['bob', { given: [2, 4] }, 9]
      ])
      expect(value(await api.dispatch('assignments.remove', { actor: 'bob' }))).toEqual({ removed: true })
      expect(value(await api.dispatch('assignments.remove', { actor: 'bob' }))).toEqual({ removed: false })
      expect(value<AssignmentView[]>(await api.dispatch('assignments.list', {})).map((x) => x.actor)).toEqual(['ann'])
    })
  })

  it('refuses a filter the project cannot apply, writing nothing', async () => {
    await as('lead', async (api) => {
      expect(await api.dispatch('assignments.set', { actor: 'bob', filter: { given: [9] } })).toMatchObject({
        ok: false,
        code: 'INVALID_ARGS',
        message: expect.stringMatching(/filter\.given: class index 9/)
      })
      expect(
        await api.dispatch('assignments.set', { actor: 'bob', filter: { flags: ['likely_mislabeled'] } })
      ).toMatchObject({
        ok: false,
        code: 'NOT_AVAILABLE'
      })
      expect(value(await api.dispatch('assignments.list', {}))).toEqual([])
    })
  })
})

describe("images.queue filter.assigned 'me'", () => {
  it('shows each curator their own images, ANDed with the rest of the filter', async () => {
    await as('lead', async (api) => {
      value(await api.dispatch('assignments.set', { actor: 'bob', filter: { given: [2] } }))
      value(await api.dispatch('assignments.set', { actor: 'ann', filter: { given: [3], splits: ['train'] } }))
    })
    await as('bob', async (api) => {
      expect(await queueIds(api, { assigned: 'me' })).toEqual([2, 9, 16, 23, 30])
      value(await api.dispatch('review.decide', { imageId: 9, decision: { kind: 'keep' } }))
      expect(await queueIds(api, { assigned: 'me', review: 'unreviewed' })).toEqual([2, 16, 23, 30])
      expect(await queueIds(api, { assigned: 'me', splits: ['test'] })).toEqual([30])
      // The next image of a decision follows the same queue.
      const d = value<{ nextImageId: number | null }>(
        await api.dispatch('review.decide', {
          imageId: 16,
          decision: { kind: 'keep' },
          next: { filter: { assigned: 'me', review: 'unreviewed' }, sort: { by: 'id' } }
        })
      )
      expect(d.nextImageId).toBe(23)
      const c = value<ImageCounts>(await api.dispatch('images.counts', { filter: { assigned: 'me' } }))
      expect(c.total).toBe(5)
    })
    await as('ann', async (api) => {
      expect(await queueIds(api, { assigned: 'me' })).toEqual([3, 17, 24]) // 10 is in the test split
    })
  })

  it('answers an empty page with a reason for a curator without an assignment (not an error)', async () => {
    await as('carl', async (api) => {
      const page = value<QueuePage>(await api.dispatch('images.queue', { filter: { assigned: 'me' } }))
      expect(page).toMatchObject({ items: [], total: 0, nextCursor: null })
      expect(page.emptyReason).toMatch(/carl has no assignment/)
      expect(value<ImageCounts>(await api.dispatch('images.counts', { filter: { assigned: 'me' } })).total).toBe(0)
      // Without assigned the queue is whole and carries no reason.
      const all = value<QueuePage>(await api.dispatch('images.queue', { filter: {} }))
      expect(all.total).toBe(30)
      expect(all.emptyReason).toBeUndefined()
    })
  })

  it('reads a stored assignment that is not a valid filter as none, saying so', async () => {
    const db = new Database(f.file)
    db.prepare(
      `INSERT INTO assignments (actor, filter, created_at, created_by) VALUES ('bob', '{"given":[1],"where":"1=1"}', 'now', 'x')`
    ).run()
    db.close()
    await as('bob', async (api) => {
      const page = value<QueuePage>(await api.dispatch('images.queue', { filter: { assigned: 'me' } }))
      expect(page.items).toEqual([])
      expect(page.emptyReason).toMatch(/stored assignment of bob is not a valid filter/)
      expect(value<AssignmentView[]>(await api.dispatch('assignments.list', {}))).toMatchObject([
        { actor: 'bob', filter: {}, images: null }
      ])
    })
  })
})

describe('the adjudicate queue', () => {
  it('holds images whose curators disagree until someone decides after the disagreement', async () => {
    await as('ann', async (api) => {
      value(await relabel(api, 5, 3)) // ann: 3
      value(await relabel(api, 6, 1)) // ann: 1
      value(await api.dispatch('review.decide', { imageId: 7, decision: { kind: 'exclude' } }))
      value(await relabel(api, 8, 4))
      expect(await waiting(api)).toBe(0)
    })
    await as('bob', async (api) => {
      value(await relabel(api, 5, 4)) // disagrees: 3 vs 4
      value(await api.dispatch('review.decide', { imageId: 6, decision: { kind: 'keep' } })) // keeps ann's 1: agrees
      value(await relabel(api, 7, 2)) // excluded vs label 2: disagrees
      value(await api.dispatch('review.decide', { imageId: 8, decision: { kind: 'skip' } })) // no view
      expect(await queueIds(api, { review: 'adjudicate' })).toEqual([5, 7])
      expect(await waiting(api)).toBe(2)
      // It combines with the rest of the filter.
      expect(await queueIds(api, { review: 'adjudicate', given: [2] })).toEqual([7])
    })
    await as('carl', async (api) => {
      // Carl sides with bob on image 5: the image already has bob's label, the decision is still recorded.
      const r = value<{ batchId: string | null }>(await relabel(api, 5, 4))
      expect(r.batchId).not.toBeNull()
      expect(await queueIds(api, { review: 'adjudicate' })).toEqual([7])
      expect(value(await api.dispatch('review.undoState', {}))).toEqual({ undo: 1, redo: 0 })
      const u = value<UndoResult>(await api.dispatch('review.undo', {}))
      expect(u.imageIds).toEqual([5])
      expect(value(await api.dispatch('review.undoState', {}))).toEqual({ undo: 0, redo: 1 })
      // Undoing the adjudication puts the image back: ann and bob still disagree.
      expect(await queueIds(api, { review: 'adjudicate' })).toEqual([5, 7])
      // Redo adjudicates it again; a second undo puts it back once more.
      value(await api.dispatch('review.redo', {}))
      expect(await queueIds(api, { review: 'adjudicate' })).toEqual([7])
      value(await api.dispatch('review.undo', {}))
      expect(await queueIds(api, { review: 'adjudicate' })).toEqual([5, 7])
    })
    await as('ann', async (api) => {
      // One of the two changing her view so that all agree also ends it.
      value(await api.dispatch('review.decide', { imageId: 7, decision: { kind: 'keep' } }))
      expect(await queueIds(api, { review: 'adjudicate' })).toEqual([5])
      expect(await waiting(api)).toBe(1)
    })
  })

  it('is empty on a project one curator works alone', async () => {
    await as('ann', async (api) => {
      value(await relabel(api, 5, 3))
      value(await relabel(api, 5, 4))
      expect(await queueIds(api, { review: 'adjudicate' })).toEqual([])
      expect(await waiting(api)).toBe(0)
    })
  })
})
