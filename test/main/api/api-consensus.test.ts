import { afterAll, beforeAll, describe, expect, it } from 'vitest'
import type { Api } from '../../../src-main/core/api/handlers'
import type { ApiEvent, ConsensusView, ImageDetail, ImageConsensusDetail } from '../../../src-main/core/api/contract'
import { putVotes, type StoredVote } from '../../../src-main/core/store/votes'
import { addAudit, addRun, apiValue as value, openFixtureApi, type ProjectFixture } from './fixture'

let close: () => Promise<void>
let api: Api
let f: ProjectFixture

type Available = Extract<ConsensusView, { status: 'fitted' }>
type Fitted = Extract<ImageConsensusDetail, { status: 'fitted' }>
async function consensus(args: Record<string, unknown> = {}): Promise<ConsensusView> {
  return value<ConsensusView>(await api.dispatch('consensus.get', args))
}
/** A fitted consensus, waited for (the fit runs in a worker). */
async function available(args: Record<string, unknown> = {}): Promise<Available> {
  const c = await consensus({ wait: true, ...args })
  if (!c.available) throw new Error(`no consensus: ${c.reason}`)
  if (c.status !== 'fitted') throw new Error(`consensus still ${c.status}`)
  return c
}
const detail = async (imageId: number): Promise<ImageDetail> =>
  value<ImageDetail>(await api.dispatch('images.detail', { imageId }))
/** The detail's consensus, which must be a fit (or null). */
const fitted = async (imageId: number): Promise<Fitted | null> => {
  const c = (await detail(imageId)).consensus ?? null
  if (c && c.status !== 'fitted') throw new Error(`image ${imageId}: consensus still ${c.status}`)
  return c
}
/** The next project.changed 'consensus' event. */
const consensusEvent = (): Promise<ApiEvent> =>
  new Promise((resolve) => {
    const off = api.subscribe((e) => {
      if (e.type !== 'project.changed' || e.what !== 'consensus') return
      off()
      resolve(e)
    })
  })

/**
 * Hand-made votes on images 1..24 (label = id % 7, as the fixture gives them): "ann" always agrees
 * with the label, "bob" on even ids only (odd ids: the next class), "cal" says class 0 every time.
 * Images 25..30 have no votes.
 */
function handVotes(): StoredVote[] {
  const out: StoredVote[] = []
  for (let id = 1; id <= 24; id++) {
    out.push({ imageId: id, annotator: 'ann', label: id % 7 })
    out.push({ imageId: id, annotator: 'bob', label: id % 2 === 0 ? id % 7 : (id + 1) % 7 })
    out.push({ imageId: id, annotator: 'cal', label: 0 })
  }
  return out
}

beforeAll(async () => {
  ;({ api, f, close } = await openFixtureApi('poi-consensus-api-', 30))
})
afterAll(() => close())

describe('consensus.get', () => {
  it('answers "not available" with a reason, not an error, while the project has no annotator votes', async () => {
    const c = await consensus({ imageIds: [1] })
    expect(c).toEqual({ available: false, reason: expect.stringMatching(/no annotator votes.*--votes/) })
    expect((await detail(1)).consensus).toBeNull()
  })

  it('estimates annotator quality and per-image consensus from the votes, the given label included', async () => {
    putVotes(api.session.require().db, handVotes(), 'hand.csv')
    const c = await available({ method: 'majority', runId: null, imageIds: [3, 4, 27, 9] })
    expect(c).toMatchObject({ method: 'majority', runId: null, note: null, imagesWithVotes: 24, changesSince: 0 })
    // "given" also labels the 6 images nobody else voted on (agreeing with itself): 29/30 vs ann's 23/24.
    expect(c.annotators.map((a) => a.annotator)).toEqual(['given', 'ann', 'bob', 'cal'])
    const bob = c.annotators.find((a) => a.annotator === 'bob')!
    expect(bob.votes).toBe(24)
    // Every even id, and 13: ann and given say 6, bob and cal 0, and the tie goes to the lower class.
    expect(bob.agreement).toBeCloseTo(13 / 24, 6)
    // 27 has no votes: left out; the others keep the request's order.
    expect(c.images.map((i) => i.imageId)).toEqual([3, 4, 9])
    const three = c.images[0]
    // ann 3, given 3, bob 4, cal 0: the label wins 2 of 4 votes.
    expect(three).toMatchObject({ label: 3, fitVotes: 4, curators: [] })
    expect(three.quality).toBeCloseTo(0.5, 5)
    expect(three.counts).toEqual([1, 0, 0, 1, 1, 0, 0])
    expect(c.disagreeing).toBe(1)
  })

  it('defaults to Dawid–Skene without a run, and to the audit run with the model when it covers the votes', async () => {
    const ds = await available()
    expect(ds).toMatchObject({ method: 'dawid-skene', runId: null, note: null, modelWeight: null })
    // The spammer who always says 0 is the worst annotator.
    expect(ds.annotators.at(-1)!.annotator).toBe('cal')

    const db = api.session.require().db
    const partial = addRun(db, f.ids.slice(0, 20), 2, 0.1)
    const withAudit = await addAudit(db, partial)
    expect(withAudit).toBeGreaterThan(0)
    // The audit's run lacks images 21..30: dropped with a note by default, an error when named.
    const dropped = await available()
    expect(dropped).toMatchObject({ method: 'dawid-skene', runId: null })
    expect(dropped.note).toMatch(new RegExp(`run ${partial} has no prediction for 10 image`))
    const named = await api.dispatch('consensus.get', { runId: partial, wait: true })
    expect(named).toMatchObject({ ok: false, code: 'INVALID_ARGS', message: expect.stringMatching(/no prediction/) })
    expect(await api.dispatch('consensus.get', { runId: 999 })).toMatchObject({ ok: false, code: 'NOT_FOUND' })
    expect(await api.dispatch('consensus.get', { runId: null, method: 'crowdlab', wait: true })).toMatchObject({
      ok: false,
      code: 'INVALID_ARGS'
    })

    const full = addRun(db, f.ids, 3, 0.1)
    await addAudit(db, full)
    const model = await available()
    expect(model).toMatchObject({ method: 'crowdlab', runId: full, note: null, outOfSample: false })
    expect(model.modelWeight).not.toBeNull()
  })

  it('shows in the image detail, keeps its fit across decisions (saying how many came since) until refreshed', async () => {
    const before = (await fitted(5))!
    expect(before).toMatchObject({ imageId: 5, method: 'crowdlab', changesSince: 0, curators: [] })
    expect(before.counts.reduce((a, b) => a + b, 0)).toBe(3)
    value(await api.dispatch('review.decide', { imageId: 5, decision: { kind: 'relabel', label: 6 } }))

    const after = (await fitted(5))!
    // Counts and curators are read now; the label and quality are the earlier fit's.
    expect(after).toMatchObject({
      fittedAt: before.fittedAt,
      changesSince: 1,
      curators: [{ actor: 'curator', label: 6 }]
    })
    expect(after.counts).toEqual(before.counts)
    expect((await available()).changesSince).toBe(1)

    const fresh = await available({ refresh: true, imageIds: [5] })
    expect(fresh.changesSince).toBe(0)
    expect(fresh.annotators.map((a) => a.annotator)).toContain('curator:curator')
    // ann 5, bob 6, cal 0, given 5, curator 6.
    expect(fresh.images[0]).toMatchObject({ imageId: 5, fitVotes: 5, curators: [{ actor: 'curator', label: 6 }] })
    expect((await fitted(5))!.changesSince).toBe(0)
    // An image without votes has no consensus in its detail.
    expect((await detail(27)).consensus).toBeNull()
  })
  it('answers a miss at once with "fitting", fits in a worker while review goes on, then says so by an event', async () => {
    const order: string[] = []
    const landed = consensusEvent().then(() => order.push('event'))
    // A request not fitted before (annotators only, without the given label): a cache miss.
    const req = { runId: null, method: 'dawid-skene', includeGiven: false, imageIds: [7] }
    const miss = await consensus(req)
    order.push('miss')
    expect(miss).toEqual({ available: true, status: 'fitting', startedAt: expect.any(String) })
    // Asked again while it fits: the same fit, not a second one.
    expect(await consensus(req)).toEqual(miss)
    // Review is answered while the fit runs.
    value(await api.dispatch('review.decide', { imageId: 7, decision: { kind: 'keep' } }))
    order.push('decide')
    value(await api.dispatch('images.queue', { filter: {} }))
    order.push('queue')
    await landed
    expect(order).toEqual(['miss', 'decide', 'queue', 'event'])
    const hit = await consensus(req)
    expect(hit).toMatchObject({ available: true, status: 'fitted', method: 'dawid-skene', includeGiven: false })
    expect((hit as Available).images.map((i) => i.imageId)).toEqual([7])

    // New votes change what the fit depends on: the detail says "fitting" (never waits), then shows the fit.
    const next = consensusEvent()
    putVotes(api.session.require().db, [{ imageId: 6, annotator: 'dan', label: 6 }], 'dan.csv')
    expect((await detail(6)).consensus).toEqual({ status: 'fitting', startedAt: expect.any(String) })
    await next
    expect(await fitted(6)).toMatchObject({ imageId: 6, status: 'fitted', counts: [1, 0, 0, 0, 0, 0, 3] })
  })

  it('keeps a failed fit and answers it without fitting again until refreshed', async () => {
    const failed = consensusEvent()
    const req = { runId: null, method: 'crowdlab' }
    expect(await consensus(req)).toMatchObject({ available: true, status: 'fitting' })
    await failed
    let events = 0
    const off = api.subscribe((e) => void (e.type === 'project.changed' && e.what === 'consensus' && events++))
    for (let i = 0; i < 2; i++)
      expect(await api.dispatch('consensus.get', req)).toMatchObject({ ok: false, code: 'INVALID_ARGS' })
    await new Promise((r) => setTimeout(r, 50))
    off()
    // No second fit ran (it would have said so by an event).
    expect(events).toBe(0)
    expect(await consensus({ ...req, refresh: true })).toMatchObject({ status: 'fitting' })
  })
})
