/**
 * Soft targets from annotators' votes reach the loss (issue 17): the CE terms with a target
 * distribution equal the hand-computed −Σ_c t_c log softmax(z)_c and its gradient softmax(z) − t,
 * differ from the one-hot case; the training step carries a batch's targets into the loss; and the
 * training data path builds them from annotator_votes in a real project file (images with a curator
 * verdict and images without votes stay one-hot).
 */
import { afterEach, beforeAll, describe, expect, it } from 'vitest'
import { tf } from '../../../src-main/core/model/tf'
import { pinCeLoss, trnCeLoss } from '../../../src-main/core/model/losses'
import { createPoiModel } from '../../../src-main/core/model/poi-model'
import { computeGradients } from '../../../src-main/core/model/train-step'
import { batchTargets } from '../../../src-main/core/train/fold'
import { putVotes, voteTargets } from '../../../src-main/core/store/votes'
import { applyChanges } from '../../../src-main/core/store/labels'
import { openProject } from '../../../src-main/core/project'
import { batchOf, tinyConfig, useCpu } from '../model/fixtures'
import { makeProjectFile } from '../api/fixture'
import { tempDir } from '../../helpers/tmp'

beforeAll(useCpu)

const logSoftmax = (z: number[]): number[] => {
  const m = Math.max(...z)
  const lse = m + Math.log(z.reduce((a, v) => a + Math.exp(v - m), 0))
  return z.map((v) => v - lse)
}

const Z = [
  [2.0, -1.0, 0.5],
  [0.1, 0.3, -0.7]
]
const Y = [0, 2]
const T = [
  [0.6, 0.3, 0.1],
  [0, 0, 1] // an image without votes: its one-hot row
]

describe('soft targets in the loss', () => {
  let cleanup: (() => void) | null = null
  afterEach(() => cleanup?.())

  it('TRN and PIN cross-entropy with a target distribution match the hand-computed value and gradient, and differ from one-hot', () => {
    const base = tf.memory().numTensors
    const handSoft = -T.reduce((a, t, i) => a + t.reduce((b, tc, c) => b + tc * logSoftmax(Z[i])[c], 0), 0) / Z.length
    const handHard = -Y.reduce((a, y, i) => a + logSoftmax(Z[i])[y], 0) / Z.length
    tf.tidy(() => {
      const z = tf.tensor2d(Z)
      const y = tf.tensor1d(Y, 'int32')
      const t = tf.tensor2d(T)
      const soft = trnCeLoss(z, y, t).dataSync()[0]
      const hard = trnCeLoss(z, y).dataSync()[0]
      expect(soft).toBeCloseTo(handSoft, 5)
      expect(hard).toBeCloseTo(handHard, 5)
      expect(Math.abs(soft - hard)).toBeGreaterThan(0.1)
      // d/dz of the mean CE = (softmax(z) − t) / B.
      const g = tf
        .grad((zz: tf.Tensor) => trnCeLoss(zz as tf.Tensor2D, y, t))(z)
        .arraySync() as number[][]
      Z.forEach((zi, i) =>
        zi.forEach((_, c) => expect(g[i][c]).toBeCloseTo((Math.exp(logSoftmax(zi)[c]) - T[i][c]) / Z.length, 5))
      )
      // PIN: the same target for every region j of image i.
      const region = tf.stack([z, tf.mul(z, 0.5)], 1) as tf.Tensor3D // [B, 2, C]
      const half = Z.map((zi) => zi.map((v) => v * 0.5))
      const handPin =
        -T.reduce(
          (a, t, i) => a + t.reduce((b, tc, c) => b + tc * (logSoftmax(Z[i])[c] + logSoftmax(half[i])[c]), 0),
          0
        ) /
        (Z.length * 2)
      expect(pinCeLoss(region, y, t).dataSync()[0]).toBeCloseTo(handPin, 5)
    })
    expect(tf.memory().numTensors).toBe(base)
  })

  it('the training step carries the batch targets into the loss (one-hot targets = no targets; votes change it)', () => {
    const model = createPoiModel(tinyConfig())
    const base = tf.memory().numTensors
    const labels = [1, 4]
    const ce = (targets?: number[][]): number => {
      const { x, y } = batchOf([2, 16, 16, 1], labels)
      const t = targets ? tf.tensor2d(targets) : undefined
      try {
        const r = computeGradients(model, { x, y, targets: t })
        tf.dispose([...r.grads.values()])
        return r.loss.ceTrn
      } finally {
        tf.dispose([x, y, ...(t ? [t] : [])])
      }
    }
    const oneHot = labels.map((l) => Array.from({ length: 7 }, (_, k) => (k === l ? 1 : 0)))
    const votes = [[0, 0.5, 0, 0, 0.5, 0, 0], oneHot[1]]
    const none = ce()
    expect(ce(oneHot)).toBeCloseTo(none, 4)
    expect(Math.abs(ce(votes) - none)).toBeGreaterThan(1e-3)
    expect(() => ce([[1, 0, 0]])).toThrow(/soft targets have shape \[1, 3\], expected \[2, 7\]/)
    expect(tf.memory().numTensors).toBe(base)
    model.dispose()
  })

  it('the training batch path builds targets from annotator_votes in a project file', async () => {
    const t = tempDir('poi-soft-')
    cleanup = t.cleanup
    const f = await makeProjectFile(t.dir, 12)
    const p = openProject(f.file)
    try {
      putVotes(
        p.db,
        [
          { imageId: 3, annotator: 'a', label: 3 },
          { imageId: 3, annotator: 'b', label: 3 },
          { imageId: 3, annotator: 'c', label: 5 },
          { imageId: 4, annotator: 'a', label: 1 },
          { imageId: 4, annotator: 'b', label: 2 }
        ],
        'votes.csv'
      )
      // A curator kept image 4's label: its label is decided, so it trains one-hot.
      applyChanges(p.db, [{ imageId: 4, state: 'labeled', softLabel: null, review: 'kept' }], {
        actor: 'ann',
        source: 'curator'
      })
      const soft = voteTargets(p.db, 7)
      expect([...soft.keys()]).toEqual([3])
      expect(Array.from(soft.get(3)!)).toEqual([0, 0, 0, 2 / 3, 0, 1 / 3, 0].map((v) => Math.fround(v)))
      const labels = new Map(f.ids.map((id) => [id, id % 7]))
      const rows = batchTargets([3, 5], labels, soft, 7)!
      expect(Array.from(rows.slice(0, 7))).toEqual(Array.from(soft.get(3)!))
      expect(Array.from(rows.slice(7))).toEqual([0, 0, 0, 0, 0, 1, 0])
      expect(batchTargets([4, 5], labels, soft, 7)).toBeNull()
      // Train with fewer classes than the votes name (a run over a class subset): refused, naming the image.
      expect(() => voteTargets(p.db, 4)).toThrow(/image 3 has a vote for class 5, outside the project's 4 classes/)
    } finally {
      p.close()
    }
  })

  it("the source's own votes (FERPlus counts, JAFFE rater distributions) are targets where no annotator voted", async () => {
    const t = tempDir('poi-soft-src-')
    cleanup = t.cleanup
    const f = await makeProjectFile(t.dir, 12)
    const p = openProject(f.file)
    try {
      const setVotes = p.db.prepare('UPDATE annotations SET votes = ? WHERE image_id = ?')
      setVotes.run(JSON.stringify([0, 6, 0, 2, 0, 0, 2]), 5) // FERPlus-style counts of ten raters
      setVotes.run(JSON.stringify([0, 0.5, 0.25, 0, 0.25, 0, 0]), 6) // a rater distribution (JAFFE)
      setVotes.run(JSON.stringify([0, 0, 0, 0, 0, 0, 0]), 7) // nothing to learn from: one-hot
      setVotes.run(JSON.stringify([9, 1, 0, 0, 0, 0, 0]), 8) // decided below: one-hot
      setVotes.run(JSON.stringify([0, 0, 0, 0, 0, 0, 10]), 3) // named annotators also voted: theirs win
      putVotes(
        p.db,
        [
          { imageId: 3, annotator: 'a', label: 3 },
          { imageId: 3, annotator: 'b', label: 5 }
        ],
        'votes.csv'
      )
      applyChanges(p.db, [{ imageId: 8, state: 'labeled', softLabel: null, review: 'accepted' }], {
        actor: 'ann',
        source: 'curator'
      })
      const soft = voteTargets(p.db, 7)
      expect([...soft.keys()].sort((a, b) => a - b)).toEqual([3, 5, 6])
      expect(Array.from(soft.get(5)!)).toEqual([0, 0.6, 0, 0.2, 0, 0, 0.2].map((v) => Math.fround(v)))
      expect(Array.from(soft.get(6)!)).toEqual([0, 0.5, 0.25, 0, 0.25, 0, 0])
      expect(Array.from(soft.get(3)!)).toEqual([0, 0, 0, 0.5, 0, 0.5, 0])
      // The batch path reads them like annotators' votes.
      const rows = batchTargets([5], new Map([[5, 1]]), soft, 7)!
      expect(Array.from(rows)).toEqual(Array.from(soft.get(5)!))
      // A vote for a class the run does not train: refused, naming the image.
      expect(() => voteTargets(p.db, 6)).toThrow(/image 3 has votes for class 6, outside the project's 6 classes/)
      setVotes.run('[1, "x"]', 9)
      expect(() => voteTargets(p.db, 7)).toThrow(/annotations.votes: image 9 holds \[1, "x"\]/)
    } finally {
      p.close()
    }
  })
})
