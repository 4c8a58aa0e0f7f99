import { afterAll, beforeAll, describe, expect, it } from 'vitest'
import type { Api } from '../../../src-main/core/api/handlers'
import type { ConsensusView, ImageDetail } from '../../../src-main/core/api/contract'
import { putVotes, type StoredVote } from '../../../src-main/core/store/votes'
import { addAudit, addRun, apiValue as value, openFixtureApi, type ProjectFixture } from './fixture'

let close: () => Promise<void>
let api: Api
let f: ProjectFixture

type Available = Extract<ConsensusView, { available: true }>
async function consensus(args: Record<string, unknown> = {}): Promise<ConsensusView> {
  return value<ConsensusView>(await api.dispatch('consensus.get', args))
}
async function available(args: Record<string, unknown> = {}): Promise<Available> {
  const c = await consensus(args)
  if (!c.available) throw new Error(`no consensus: ${c.reason}`)
  return c
}
const detail = async (imageId: number): Promise<ImageDetail> =>
  value<ImageDetail>(await api.dispatch('images.detail', { imageId }))

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
    const named = await api.dispatch('consensus.get', { runId: partial })
    expect(named).toMatchObject({ ok: false, code: 'INVALID_ARGS', message: expect.stringMatching(/no prediction/) })
    expect(await api.dispatch('consensus.get', { runId: 999 })).toMatchObject({ ok: false, code: 'NOT_FOUND' })
    expect(await api.dispatch('consensus.get', { runId: null, method: 'crowdlab' })).toMatchObject({
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
    const before = (await detail(5))!.consensus!
    expect(before).toMatchObject({ imageId: 5, method: 'crowdlab', changesSince: 0, curators: [] })
    expect(before.counts.reduce((a, b) => a + b, 0)).toBe(3)
    value(await api.dispatch('review.decide', { imageId: 5, decision: { kind: 'relabel', label: 6 } }))

    const after = (await detail(5))!.consensus!
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
    expect((await detail(5)).consensus!.changesSince).toBe(0)
    // An image without votes has no consensus in its detail.
    expect((await detail(27)).consensus).toBeNull()
  })
})
