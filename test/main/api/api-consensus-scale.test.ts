/**
 * consensus.get on a 35k-image project with 35k hand-made annotator votes: the fit runs once and is
 * answered from memory afterwards, also by the Review detail and across a curator decision. Prints the
 * times (not asserted: they depend on the machine and its load).
 */
import { afterAll, beforeAll, describe, expect, it } from 'vitest'
import type { Api } from '../../../src-main/core/api/handlers'
import type { ConsensusView, ImageConsensusDetail, ImageDetail } from '../../../src-main/core/api/contract'
import { putVotes, type StoredVote } from '../../../src-main/core/store/votes'
import { addRun, apiValue as value, openFixtureApi, rng } from './fixture'

const N = 35_000
let close: () => Promise<void>
let api: Api
let ids: number[] = []

type Available = Extract<ConsensusView, { status: 'fitted' }>
type Fitted = Extract<ImageConsensusDetail, { status: 'fitted' }>
async function timed<T>(what: string, f: () => Promise<T>): Promise<T> {
  const t0 = performance.now()
  const r = await f()
  console.log(`${what}: ${Math.round(performance.now() - t0)} ms`)
  return r
}
/** Waits for the fit (it runs in a worker). */
const get = async (args: Record<string, unknown>): Promise<Available> =>
  value<Available>(await api.dispatch('consensus.get', { wait: true, ...args }))

beforeAll(async () => {
  const o = await openFixtureApi('poi-consensus-scale-', N)
  ;({ api, close } = o)
  const f = o.f
  ids = f.ids
  // One vote per image from 8 annotators; annotator k agrees with the label (id % 7) with probability 0.9 − 0.1 k.
  const r = rng(7)
  const votes: StoredVote[] = f.ids.map((id) => {
    const k = id % 8
    return { imageId: id, annotator: `a${k}`, label: r() < 0.9 - 0.1 * k ? id % 7 : Math.floor(r() * 7) }
  })
  putVotes(api.session.require().db, votes, 'synthetic.csv')
})
afterAll(() => close())

describe('consensus.get on 35k images', () => {
  it('fits once per votes/run/method and answers later calls, the detail and calls after a decision from memory', async () => {
    const first = await timed('first call (Dawid–Skene fit)', () => get({ imageIds: [1, 2, 3] }))
    console.log(`fit: ${first.fitMs} ms over ${first.imagesWithVotes} voted images`)
    expect(first).toMatchObject({ method: 'dawid-skene', imagesWithVotes: N, changesSince: 0 })
    expect(first.images).toHaveLength(3)
    // The best annotator is a0, the worst a7.
    expect(
      first.annotators[0].annotator === 'given' ? first.annotators[1].annotator : first.annotators[0].annotator
    ).toBe('a0')
    expect(first.annotators.at(-1)!.annotator).toBe('a7')

    const again = await timed('second call (from memory)', () => get({ imageIds: [4] }))
    expect(again.fittedAt).toBe(first.fittedAt)
    const d = await timed('images.detail with consensus', async () =>
      value<ImageDetail>(await api.dispatch('images.detail', { imageId: 10 }))
    )
    expect(d.consensus).toMatchObject({ imageId: 10, fittedAt: first.fittedAt, changesSince: 0 })

    value(await api.dispatch('review.decide', { imageId: 10, decision: { kind: 'relabel', label: 1 } }))
    const stale = await timed('images.detail after a decision (fit kept)', async () =>
      value<ImageDetail>(await api.dispatch('images.detail', { imageId: 10 }))
    )
    expect(stale.consensus).toMatchObject({ fittedAt: first.fittedAt, changesSince: 1 })
    expect((stale.consensus as Fitted).curators).toEqual([{ actor: 'curator', label: 1 }])

    const majority = await timed('majority vote fit', () => get({ method: 'majority', runId: null }))
    console.log(`majority fit: ${majority.fitMs} ms`)
    expect(majority).toMatchObject({ method: 'majority', changesSince: 0 })
    expect(majority.annotators.map((a) => a.annotator)).toContain('curator:curator')

    // With a run that predicts every image, the default is the model + annotators ensemble.
    const runId = addRun(api.session.require().db, ids, 5, 0.1)
    const model = await timed('first call with the run (model + annotators fit)', () => get({ runId }))
    console.log(`model + annotators fit: ${model.fitMs} ms`)
    expect(model).toMatchObject({ method: 'crowdlab', runId, imagesWithVotes: N })
  })
})
