import { describe, expect, it } from 'vitest'
import {
  auroc,
  averagePrecision,
  detectionMetrics,
  flagPrecisionRecall,
  precisionAt
} from '../../../src-main/core/evaluate/metrics'

describe('detection metrics on hand-made rankings', () => {
  it('a perfect ranking scores 1 everywhere', () => {
    const s = [0.9, 0.8, 0.1, 0.2, 0.3]
    const y = [true, true, false, false, false]
    expect(detectionMetrics(s, y)).toEqual({ positives: 2, n: 5, auroc: 1, ap: 1, precisionAtK: 1 })
  })

  it('matches values worked out by hand', () => {
    // Descending: a(+) 0.9, b(−) 0.7, c(+) 0.6, d(−) 0.4, e(+) 0.3, f(−) 0.1
    const s = [0.9, 0.7, 0.6, 0.4, 0.3, 0.1]
    const y = [true, false, true, false, true, false]
    // Pairs (pos > neg): a beats 3, c beats 2, e beats 1 → 6 of 9.
    expect(auroc(s, y)).toBeCloseTo(6 / 9, 12)
    // Precision at each hit: 1/1, 2/3, 3/5.
    expect(averagePrecision(s, y)).toBeCloseTo((1 + 2 / 3 + 3 / 5) / 3, 12)
    expect(precisionAt(s, y, 3)).toBeCloseTo(2 / 3, 12)
  })

  it('counts ties as one half in AUROC and keeps input order in the rankings', () => {
    const s = [0.5, 0.5, 0.5, 0.5]
    const y = [false, true, false, true]
    expect(auroc(s, y)).toBe(0.5)
    // Order kept: −, +, −, + → precision at the hits 1/2 and 2/4.
    expect(averagePrecision(s, y)).toBeCloseTo((1 / 2 + 2 / 4) / 2, 12)
    expect(precisionAt(s, y, 2)).toBe(0.5)
  })

  it('an inverted ranking gives AUROC 0, and one-class input NaN', () => {
    expect(auroc([0.1, 0.2, 0.8, 0.9], [true, true, false, false])).toBe(0)
    expect(auroc([0.1, 0.2], [true, true])).toBeNaN()
  })

  it('refuses mismatched lengths and NaN suspicion', () => {
    expect(() => detectionMetrics([1, 2], [true])).toThrow(/2 values for 1 labels/)
    expect(() => detectionMetrics([1, NaN], [true, false])).toThrow(/suspicion\[1\] is NaN/)
  })

  it('flag precision and recall', () => {
    expect(flagPrecisionRecall([true, true, false, false], [true, false, true, false])).toEqual({
      flagged: 2,
      precision: 0.5,
      recall: 0.5
    })
  })
})
