/**
 * The confidence filter's scale (pure): raw UEM confidence when the values spread, else their rank
 * (percentile of images), because a saturated confidence (most values within a few hundredths of 1)
 * cannot be filtered usefully by value. The filter itself always holds values (QueueFilter).
 */
import type { ConfidenceSpread } from './api'

/** Saturated: the middle 90 % of the values lie within this much of each other. */
export const SATURATED_WIDTH = 0.05

export type ConfScale = { kind: 'value'; min: number; max: number; step: number } | { kind: 'rank'; quantiles: number[] }

export function confScale(spread: ConfidenceSpread | null): ConfScale {
  if (!spread || spread.quantiles.length < 3) return { kind: 'value', min: 0, max: 1, step: 0.05 }
  const q = spread.quantiles
  const k = q.length - 1
  if (q[k - 1] - q[1] < SATURATED_WIDTH) return { kind: 'rank', quantiles: q }
  const min = Math.floor(q[0] * 100) / 100
  const max = Math.ceil(q[k] * 100) / 100
  return { kind: 'value', min, max, step: Math.max(0.01, Math.round(((max - min) / 20) * 100) / 100) }
}

/** Percentile (0–100) → value, interpolating between the reported quantiles. */
export function rankToValue(q: readonly number[], pct: number): number {
  const k = q.length - 1
  const pos = (Math.min(100, Math.max(0, pct)) / 100) * k
  const lo = Math.floor(pos)
  const hi = Math.ceil(pos)
  return q[lo] + (q[hi] - q[lo]) * (pos - lo)
}

/** Value → percentile (0–100): the inverse of rankToValue (the lowest percentile on flat stretches). */
export function valueToRank(q: readonly number[], v: number): number {
  const k = q.length - 1
  if (v <= q[0]) return 0
  if (v >= q[k]) return 100
  for (let i = 0; i < k; i++) {
    if (v <= q[i + 1]) {
      const f = q[i + 1] > q[i] ? (v - q[i]) / (q[i + 1] - q[i]) : 0
      return Math.round(((i + f) / k) * 1000) / 10
    }
  }
  return 100
}
