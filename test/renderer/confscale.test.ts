import { describe, expect, it } from 'vitest'
import { confScale, formatConfidence, rankToValue, valueToRank } from '../../src-renderer/src/lib/confscale'

/** `saturated` as the server reports it (queries/confidence.ts isSaturated: q95 − q5 < 0.05). */
const spread = (q: number[]) => ({ n: 1000, quantiles: q, saturated: q[19] - q[1] < 0.05 })

describe('confidence filter scale (issue 14, defect 10)', () => {
  it('follows the data when the values spread', () => {
    const q = Array.from({ length: 21 }, (_, i) => 0.55 + (0.4 * i) / 20)
    expect(confScale(spread(q))).toEqual({ kind: 'value', min: 0.55, max: 0.95, step: 0.02 })
    expect(confScale(null)).toEqual({ kind: 'value', min: 0, max: 1, step: 0.05 })
  })

  it('switches to rank when the values are saturated, and maps ranks to values and back', () => {
    // 90 % of the values within 0.97–0.999: a value filter cannot separate them.
    const q = [0.5, ...Array.from({ length: 19 }, (_, i) => 0.97 + (0.029 * i) / 18), 1]
    const s = confScale(spread(q))
    expect(s.kind).toBe('rank')
    expect(rankToValue(q, 0)).toBe(0.5)
    expect(rankToValue(q, 100)).toBe(1)
    expect(rankToValue(q, 50)).toBeCloseTo(q[10], 10)
    for (const pct of [5, 12.5, 50, 80, 95]) expect(valueToRank(q, rankToValue(q, pct))).toBeCloseTo(pct, 0)
  })
  it('writes a value with the digits that tell it from its neighbours on a logit scale', () => {
    expect(formatConfidence(0.98, 'logit')).toBe('0.980')
    expect(formatConfidence(0.9999, 'logit')).toBe('0.99990')
    expect(formatConfidence(0.55, 'linear')).toBe('0.55')
  })
})
