/**
 * The before/after comparison (core/evaluate/compare-runs.ts) on a hand-made table of two runs whose
 * every figure is worked out by hand below. Run A trained on image 3 labelled 0 (a flip: it looks
 * like class 1); the curator relabeled it to 1 and run B trained on the corrected labels.
 */
import { describe, expect, it } from 'vitest'
import { compareRuns, type CompareImage, type CompareRunInput } from '../../../src-main/core/evaluate/compare-runs'

const classes = ['neutral', 'happiness']
// Current labels (after the correction of image 3). Image 7 has no label (e.g. excluded).
const images: CompareImage[] = [
  { imageId: 1, split: 'train', label: 0 },
  { imageId: 2, split: 'test', label: 0 },
  { imageId: 3, split: 'train', label: 1 },
  { imageId: 4, split: 'train', label: 1 },
  { imageId: 5, split: 'val', label: 1 },
  { imageId: 6, split: 'test', label: 1 },
  { imageId: 7, split: 'train', label: null }
]
const A: CompareRunInput = {
  runId: 1,
  probs: new Map([
    [1, [0.9, 0.1]],
    [2, [0.8, 0.2]],
    [3, [0.2, 0.8]],
    [4, [0.1, 0.9]],
    [5, [0.3, 0.7]],
    [6, [0.6, 0.4]],
    [7, [0.5, 0.5]]
  ]),
  trainedLabels: new Map([
    [1, 0],
    [2, 0],
    [3, 0],
    [4, 1],
    [5, 1],
    [6, 1]
  ])
}
const B: CompareRunInput = {
  runId: 2,
  probs: new Map([
    [1, [0.85, 0.15]],
    [2, [0.7, 0.3]],
    [3, [0.1, 0.9]],
    [4, [0.2, 0.8]],
    [5, [0.4, 0.6]],
    [6, [0.45, 0.55]],
    [7, [0.4, 0.6]]
  ]),
  trainedLabels: new Map([
    [1, 0],
    [2, 0],
    [3, 1],
    [4, 1],
    [5, 1],
    [6, 1]
  ])
}

describe('compareRuns on a hand-made table', () => {
  const c = compareRuns(classes, images, A, B)

  it('accuracy per split against the current labels', () => {
    // val {5}: both predict 1 = label. test {2, 6}: A predicts 0, 0 (6 wrong), B 0, 1.
    // all labelled {1..6}: A misses only 6 → 5/6; B gets all. Image 7 has no label: not measured.
    expect(c.measuredAgainst).toBe('current labels')
    expect(c.accuracy).toEqual([
      { set: 'val', images: 1, a: 1, b: 1 },
      { set: 'test', images: 2, a: 0.5, b: 1 },
      { set: 'all', images: 6, a: 5 / 6, b: 1 }
    ])
  })

  it('per-class precision/recall on the test split', () => {
    // A on {2 (0→0), 6 (1→0)}: class 0 predicted twice, right once → P 1/2, R 1/1; class 1 never predicted → P
    // null, R 0/1.
    expect(c.perClassSet).toBe('test')
    expect(c.perClass).toEqual([
      { name: 'neutral', support: 1, a: { precision: 0.5, recall: 1 }, b: { precision: 1, recall: 1 } },
      { name: 'happiness', support: 1, a: { precision: null, recall: 0 }, b: { precision: 1, recall: 1 } }
    ])
  })

  it('flags: each run over its own trained labels; resolved and new', () => {
    // A: t0 = (0.9+0.8+0.2)/3, t1 = (0.9+0.7+0.4)/3 → confident joint [[2,1],[0,2]], calibrated [[2,1],[0,3]];
    // prune 1 of class 0 towards 1: largest p1 − p0 among {1,2,3} is image 3 → flagged.
    // B: t0 = 0.775, t1 = 0.7125 → joint [[1,0],[0,2]] → calibrated [[2,0],[0,4]]: nothing to prune.
    expect(c.flags).toEqual({ a: 1, b: 0, resolved: [3], introduced: [] })
    // The same runs the other way round: image 3's flag is new.
    expect(compareRuns(classes, images, B, A).flags).toEqual({ a: 0, b: 1, resolved: [], introduced: [3] })
  })

  it('suggestions that changed, labels that changed, and the remaining noise per class', () => {
    // argmax A vs B: image 6 (0 → 1) and unlabelled image 7 (tie → first class 0, then 1).
    expect(c.suggestionChanged).toEqual([6, 7])
    expect(c.labelsChanged).toBe(1)
    // Calibrated joints above: A's class-0 row [2, 1] → 1 of 3 estimated wrong; B's rows are diagonal.
    expect(c.noise).toEqual([
      { name: 'neutral', a: { given: 3, wrong: 1, rate: 1 / 3 }, b: { given: 2, wrong: 0, rate: 0 } },
      { name: 'happiness', a: { given: 3, wrong: 0, rate: 0 }, b: { given: 4, wrong: 0, rate: 0 } }
    ])
  })

  it('without val/test splits everything is measured on all labelled images', () => {
    const flat = images.map((im) => ({ ...im, split: null }))
    const d = compareRuns(classes, flat, A, B)
    expect(d.accuracy.map((x) => x.set)).toEqual(['all'])
    expect(d.perClassSet).toBe('all')
    // All six labelled images: A predicts 0,0,1,1,1,0 vs labels 0,0,1,1,1,1.
    expect(d.perClass[0].a).toEqual({ precision: 2 / 3, recall: 1 })
    expect(d.perClass[1].a).toEqual({ precision: 1, recall: 3 / 4 })
  })
})
