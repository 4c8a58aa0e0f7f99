import { describe, expect, it } from 'vitest'
import {
  crowdlab,
  dawidSkene,
  majorityVote,
  type ConsensusInput,
  type Vote
} from '../../../src-main/core/consensus/consensus'
import { Rng } from '../../../src-main/core/util/rng'
import { spearman } from '../../../src-main/core/evaluate/metrics'

/**
 * N images of C classes; annotators of known reliability each label a random subset (3 per image);
 * an error goes to a uniformly drawn other class. The model is right with probability modelAcc and
 * puts most of its mass on its answer.
 */
function synthetic(
  seed: number,
  reliab: number[],
  modelAcc: number,
  N = 800,
  C = 5,
  perImage = 3
): { input: ConsensusInput; truth: number[] } {
  const rng = new Rng(seed)
  const truth = Array.from({ length: N }, () => rng.int(C))
  const votes: Vote[] = []
  const other = (y: number): number => (y + 1 + rng.int(C - 1)) % C
  for (let i = 0; i < N; i++) {
    const who = rng.shuffle([...reliab.keys()]).slice(0, perImage)
    for (const j of who)
      votes.push({ image: i, annotator: `a${j}`, label: rng.chance(reliab[j]) ? truth[i] : other(truth[i]) })
  }
  const modelProbs = truth.map((y) => {
    const top = rng.chance(modelAcc) ? y : other(y)
    const p = Array.from({ length: C }, () => 0.05 + 0.3 * rng.next())
    p[top] += 1.5 + rng.next()
    const s = p.reduce((x, v) => x + v, 0)
    return p.map((v) => v / s)
  })
  return { input: { images: N, classes: C, votes, modelProbs }, truth }
}

const accuracy = (label: number[], truth: number[]): number =>
  label.filter((l, i) => l === truth[i]).length / truth.length

describe('consensus labels', () => {
  it('on a hand-made table: majority vote, ties broken by the model, Dawid–Skene down-weights the contrarian', () => {
    // Three annotators on 6 images of 3 classes; c always disagrees with a and b.
    const votes: Vote[] = []
    const table = [
      [0, 0, 1],
      [1, 1, 2],
      [2, 2, 0],
      [0, 0, 2],
      [1, 1, 0],
      [2, 1, 1]
    ]
    table.forEach((row, i) => row.forEach((l, j) => votes.push({ image: i, annotator: 'abc'[j], label: l })))
    votes.push({ image: 6, annotator: 'a', label: 0 }, { image: 6, annotator: 'c', label: 2 })
    const input: ConsensusInput = { images: 8, classes: 3, votes, modelProbs: null }
    const mv = majorityVote(input)
    expect(mv.label).toEqual([0, 1, 2, 0, 1, 1, 0, -1])
    expect(mv.quality[0]).toBeCloseTo(2 / 3, 6)
    expect(mv.annotatorQuality.get('a')).toBeCloseTo(6 / 7, 6)
    expect(mv.annotatorQuality.get('c')).toBeCloseTo(1 / 7, 6)
    // A model row decides a tie (image 6) but never outweighs one vote.
    const model = Array.from({ length: 8 }, () => [0.1, 0.1, 0.8])
    const withModel = majorityVote({ ...input, modelProbs: model })
    expect(withModel.label[6]).toBe(2)
    expect(withModel.label[0]).toBe(0)
    expect(withModel.label[7]).toBe(2)

    const ds = dawidSkene(input)
    expect(ds.label.slice(0, 6)).toEqual([0, 1, 2, 0, 1, 1])
    // The tie on image 6 goes to a, whom Dawid–Skene finds reliable, over c.
    expect(ds.label[6]).toBe(0)
    expect(ds.annotatorQuality.get('a')!).toBeGreaterThan(ds.annotatorQuality.get('c')!)
    expect(ds.label[7]).toBe(-1)
  })

  it('names the bad value', () => {
    expect(() => majorityVote({ images: 2, classes: 3, votes: [{ image: 2, annotator: 'x', label: 0 }] })).toThrow(
      /vote 0 names image 2, outside 0..1/
    )
    expect(() => majorityVote({ images: 2, classes: 3, votes: [{ image: 0, annotator: 'x', label: 3 }] })).toThrow(
      /annotator x\) has label 3/
    )
    expect(() => crowdlab({ images: 1, classes: 3, votes: [] })).toThrow(/needs model probabilities/)
    expect(() => crowdlab({ images: 2, classes: 3, votes: [], modelProbs: [[1, 0, 0]] })).toThrow(
      /1 model rows for 2 images/
    )
  })

  it('with annotators of different reliability, model + annotators beats majority vote and Dawid–Skene, and ranks annotators', () => {
    const reliab = [0.92, 0.85, 0.78, 0.7, 0.62, 0.55, 0.45, 0.38]
    for (const seed of [1, 2, 3]) {
      const { input, truth } = synthetic(seed, reliab, 0.72)
      const mv = majorityVote({ ...input, modelProbs: null })
      const ds = dawidSkene(input)
      const ours = crowdlab(input)
      const accMv = accuracy(mv.label, truth)
      const accDs = accuracy(ds.label, truth)
      const accOurs = accuracy(ours.label, truth)
      const est = reliab.map((_, j) => ours.annotatorQuality.get(`a${j}`)!)
      const rho = spearman(est, reliab)
      console.log(
        `seed ${seed}: consensus accuracy majority ${accMv.toFixed(3)}, Dawid–Skene ${accDs.toFixed(3)}, ours ${accOurs.toFixed(3)} (model weight ${ours.modelWeight!.toFixed(2)}); annotator-quality Spearman ${rho.toFixed(3)}, DS ${spearman(
          reliab.map((_, j) => ds.annotatorQuality.get(`a${j}`)!),
          reliab
        ).toFixed(3)}`
      )
      expect(accOurs).toBeGreaterThan(accMv)
      expect(accOurs).toBeGreaterThan(accDs)
      expect(rho).toBeGreaterThanOrEqual(0.9)
      // Consensus quality orders correctness: correct consensus labels carry higher quality on average.
      const q = (want: boolean): number => {
        const s = ours.quality.filter((_, i) => (ours.label[i] === truth[i]) === want)
        return s.reduce((a, b) => a + b, 0) / s.length
      }
      expect(q(true)).toBeGreaterThan(q(false))
    }
  })

  it('a useless model gets little weight and does not drag the consensus below majority vote', () => {
    const reliab = [0.9, 0.85, 0.8, 0.75, 0.7]
    const { input, truth } = synthetic(7, reliab, 1 / 5)
    const mv = majorityVote({ ...input, modelProbs: null })
    const ours = crowdlab(input)
    expect(ours.modelWeight!).toBeLessThan(0.3)
    expect(accuracy(ours.label, truth)).toBeGreaterThanOrEqual(accuracy(mv.label, truth) - 0.01)
  })
})
