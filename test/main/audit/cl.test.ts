import { describe, expect, it } from 'vitest'
import {
  calibrateConfidentJoint,
  confidentJoint,
  confidentThresholds,
  findLabelIssues,
  labelQualityScores,
  pruneCounts,
  roundPreservingSum
} from '../../../src-main/core/audit/cl'

/*
 * Worked example, computed by hand (C = 3, N = 10). Examples 2, 5 and 8 carry wrong labels.
 *
 *   i  label  p
 *   0  0      .90 .05 .05
 *   1  0      .80 .10 .10
 *   2  0      .10 .80 .10   (looks like 1)
 *   3  1      .10 .85 .05
 *   4  1      .20 .70 .10
 *   5  1      .05 .15 .80   (looks like 2)
 *   6  2      .10 .10 .80
 *   7  2      .05 .05 .90
 *   8  2      .60 .20 .20   (looks like 0)
 *   9  0      .40 .30 .30   (confident about nothing)
 *
 * Thresholds: t0 = (.9+.8+.1+.4)/4 = .55, t1 = (.85+.7+.15)/3 = .5667, t2 = (.8+.9+.2)/3 = .6333.
 * Confident guesses: 0→0, 1→0, 2→1, 3→1, 4→1, 5→2, 6→2, 7→2, 8→0 (.60 ≥ .55), 9→none.
 * Confident joint (rows given, columns guess): [[2,1,0],[0,2,1],[1,0,2]].
 * Calibration: row 0 scaled to its 4 labels → [2.667, 1.333, 0] → rounded [3, 1, 0]; rows 1, 2 keep
 * their 3; the total is already N = 10 → [[3,1,0],[0,2,1],[1,0,2]].
 * prune_by_noise_rate: label 0 → 1 example most like class 1 (largest p1 − p0: #2);
 * label 1 → 1 most like 2 (#5); label 2 → 1 most like 0 (#8). Issues: {2, 5, 8}.
 */
const labels = [0, 0, 0, 1, 1, 1, 2, 2, 2, 0]
const probs = [
  [0.9, 0.05, 0.05],
  [0.8, 0.1, 0.1],
  [0.1, 0.8, 0.1],
  [0.1, 0.85, 0.05],
  [0.2, 0.7, 0.1],
  [0.05, 0.15, 0.8],
  [0.1, 0.1, 0.8],
  [0.05, 0.05, 0.9],
  [0.6, 0.2, 0.2],
  [0.4, 0.3, 0.3]
]

describe('confident learning (cleanlab find_label_issues)', () => {
  it('per-class thresholds are the mean self-confidence of each given class', () => {
    const t = confidentThresholds(labels, probs, 3)
    expect(t[0]).toBeCloseTo(0.55, 10)
    expect(t[1]).toBeCloseTo(1.7 / 3, 10)
    expect(t[2]).toBeCloseTo(1.9 / 3, 10)
    // A class nobody carries is never confident.
    expect(
      confidentThresholds(
        [0, 0],
        [
          [0.5, 0.5, 0],
          [0.6, 0.4, 0]
        ],
        3
      )[2]
    ).toBe(2)
  })

  it('counts the confident joint of the worked example', () => {
    const cj = confidentJoint(labels, probs, 3)
    expect(cj.joint).toEqual([
      [2, 1, 0],
      [0, 2, 1],
      [1, 0, 2]
    ])
    expect(cj.guess).toEqual([0, 0, 1, 1, 1, 2, 2, 2, 0, -1])
    expect(cj.offDiagonal).toEqual([2, 5, 8])
  })

  it('calibrates the joint to the label counts and N', () => {
    const cal = calibrateConfidentJoint(
      [
        [2, 1, 0],
        [0, 2, 1],
        [1, 0, 2]
      ],
      [4, 3, 3]
    )
    expect(cal).toEqual([
      [3, 1, 0],
      [0, 2, 1],
      [1, 0, 2]
    ])
  })

  it('prune_by_noise_rate finds exactly the three planted errors', () => {
    const r = findLabelIssues(labels, probs, 3)
    expect(r.issues.map((b, i) => (b ? i : -1)).filter((i) => i >= 0)).toEqual([2, 5, 8])
    expect(r.calibratedJoint).toEqual([
      [3, 1, 0],
      [0, 2, 1],
      [1, 0, 2]
    ])
    expect(findLabelIssues(labels, probs, 3, { filterBy: 'confident_learning' }).issues.filter(Boolean)).toHaveLength(3)
  })

  it('prunes only as many as the calibrated off-diagonal count, the largest margins first', () => {
    // Two examples labelled 0 look like 1, but only one is confidently counted (the other's p1 is
    // below t1), so the calibrated cell [0][1] is 1 and only the larger margin (#1) is pruned.
    const l = [0, 0, 0, 0, 1, 1, 1]
    const p = [
      [0.9, 0.1],
      [0.1, 0.9],
      [0.45, 0.55],
      [0.8, 0.2],
      [0.2, 0.8],
      [0.1, 0.9],
      [0.3, 0.7]
    ]
    // t0 = (.9+.1+.45+.8)/4 = .5625, t1 = (.8+.9+.7)/3 = .8. #2 (p1 .55) is below t1 and p0 .45 < t0: not counted.
    const r = findLabelIssues(l, p, 2)
    expect(r.confidentJoint).toEqual([
      [2, 1],
      [0, 2]
    ])
    // Row 0 has 3 counted but 4 labels: [2, 1] × 4/3 = [2.667, 1.333] → [3, 1]; row 1 counted 2 of
    // its 3 (#6 is confident about nothing): [0, 2] × 3/2 = [0, 3]; the total is N = 7.
    expect(r.calibratedJoint).toEqual([
      [3, 1],
      [0, 3]
    ])
    expect(r.issues).toEqual([false, true, false, false, false, false, false])
  })

  it('keeps at least n per class when building the prune counts', () => {
    // Hand computed: transpose [[0,1],[2,3]]; column 0 raised to 1 by taking 1 from its one
    // non-zero off-diagonal (2 → 1); so given 0 → 1 example flagged as truly 1 instead of 2.
    expect(
      pruneCounts(
        [
          [0, 2],
          [1, 3]
        ],
        1
      )
    ).toEqual([
      [1, 1],
      [1, 3]
    ])
  })

  it('rounds preserving the sum like cleanlab', () => {
    expect(roundPreservingSum([2.5, 1.5, 1.0])).toEqual([2, 2, 1])
    expect(roundPreservingSum([0.4, 0.4, 0.4, 0.8])).toEqual([1, 0, 0, 1])
    expect(roundPreservingSum([2.6667, 1.3333, 0])).toEqual([3, 1, 0])
  })

  it('never flags an example whose argmax is its label, and validates inputs', () => {
    const r = findLabelIssues(
      [0, 1],
      [
        [0.6, 0.4],
        [0.3, 0.7]
      ],
      2
    )
    expect(r.issues).toEqual([false, false])
    expect(() =>
      findLabelIssues(
        [0, 3],
        [
          [1, 0],
          [0, 1]
        ],
        2
      )
    ).toThrow(/label 3 of example 1/)
    expect(() => findLabelIssues([0], [[1, 0, 0]], 2)).toThrow(/row 0 has 3 values/)
  })

  it('ranks by self-confidence or normalised margin', () => {
    expect(labelQualityScores([0], [[0.2, 0.7, 0.1]], 'self_confidence')).toEqual([0.2])
    expect(labelQualityScores([0], [[0.2, 0.7, 0.1]], 'normalized_margin')[0]).toBeCloseTo((0.2 - 0.7 + 1) / 2, 12)
  })
})
