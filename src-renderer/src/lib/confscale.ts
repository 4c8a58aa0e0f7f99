/**
 * The confidence filter's scale (pure): raw UEM confidence when the values spread, else their rank
 * (percentile of images), because a saturated confidence (most values within a few hundredths of 1)
 * cannot be filtered usefully by value. The filter itself always holds values (QueueFilter).
 */
import type { ConfidenceSpread } from './api'

export type ConfScale =
  { kind: 'value'; min: number; max: number; step: number } | { kind: 'rank'; quantiles: number[] }

export function confScale(spread: ConfidenceSpread | null): ConfScale {
  if (!spread || spread.quantiles.length < 3) return { kind: 'value', min: 0, max: 1, step: 0.05 }
  const q = spread.quantiles
  const k = q.length - 1
  // Whether the values are saturated is the server's call (queries/confidence.ts: one rule for the
  // filter and the Overview histogram).
  if (spread.saturated) return { kind: 'rank', quantiles: q }
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

/**
 * A confidence value written with the digits that tell it from its neighbours: two decimals on a
 * linear scale; near 1 on a logit scale, one more than its distance from 1 needs (0.98, 0.9990, 0.99990).
 */
export function formatConfidence(v: number, scale: 'linear' | 'logit'): string {
  if (scale === 'linear' || v <= 0 || v >= 1) return v.toFixed(2)
  const d = Math.min(6, Math.max(2, Math.ceil(-Math.log10(Math.min(v, 1 - v)) - 1e-9) + 1))
  return v.toFixed(d)
}
