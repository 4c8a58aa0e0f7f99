/**
 * The spread of UEM confidence over the current run's predictions, for the review's confidence filter
 * (issue 14, defect 10): its range follows the data, and when the values are saturated (nearly all
 * near 1) the filter works on their rank (percentile) instead, where they spread.
 */
import type { DB } from '../../store/db'
import type { ConfidenceSpread } from '../contract'
import type { ReadContext } from './context'

/** Percentiles reported: 0, 5, …, 100. */
export const SPREAD_STEPS = 20

/** Saturated: the middle 90 % of the values lie within this much of each other. */
export const SATURATED_WIDTH = 0.05

/** Interpolated quantile `q` ∈ [0, 1] of ascending `v` (non-empty). */
export function sortedQuantile(v: ArrayLike<number>, q: number): number {
  const pos = q * (v.length - 1)
  const lo = Math.floor(pos)
  const hi = Math.ceil(pos)
  return v[lo] + (v[hi] - v[lo]) * (pos - lo)
}

/**
 * The one saturation rule (the filter's rank scale and the histogram's logit scale both use it), on ascending
 * values.
 */
export function isSaturated(sorted: ArrayLike<number>): boolean {
  return sorted.length >= 3 && sortedQuantile(sorted, 0.95) - sortedQuantile(sorted, 0.05) < SATURATED_WIDTH
}

export function confidenceSpread(db: DB, ctx: ReadContext): ConfidenceSpread | null {
  if (ctx.runId == null) return null
  const v = (
    db
      .prepare(
        'SELECT uem_confidence AS c FROM predictions WHERE run_id = ? AND uem_confidence IS NOT NULL ORDER BY uem_confidence'
      )
      .all(ctx.runId) as { c: number }[]
  ).map((r) => r.c)
  if (!v.length) return null
  return {
    n: v.length,
    quantiles: Array.from(
      { length: SPREAD_STEPS + 1 },
      (_, i) => Math.round(sortedQuantile(v, i / SPREAD_STEPS) * 1e6) / 1e6
    ),
    saturated: isSaturated(v)
  }
}
