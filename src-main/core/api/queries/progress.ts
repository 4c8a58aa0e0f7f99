/**
 * Review progress for the counter above the queue (issue 14, defect 5): how much of the flagged
 * part of the ranking has been reviewed, how many decisions were made today and at what pace.
 */
import type { DB } from '../../store/db'
import { FLAG_BITS } from '../../audit/flags'
import type { ReviewProgress } from '../contract'
import type { ReadContext } from './context'
import { adjudicationIds } from './adjudicate'

/** The pace is not given before this many hours of work today (a pace from 3 decisions is noise). */
const MIN_HOURS = 0.25

/** `now` is injectable for tests; "today" starts at the server's local midnight. */
export function reviewProgress(db: DB, ctx: ReadContext, now = new Date()): ReviewProgress {
  const reviewed = (db.prepare('SELECT count(*) AS n FROM reviews').get() as { n: number }).n
  let flagged: number | null = null
  let flaggedReviewed: number | null = null
  if (ctx.auditId != null) {
    const bit = FLAG_BITS.likely_mislabeled
    // The audit's work list: flagged by the audit, whatever a decision's re-judgement says now
    // (ItemSignals.audit holds the audit's judgement where a re-judgement changed it; instr() keeps
    // the JSON parsing to those rows).
    const kept = `instr(ai.signals, '"audit":') > 0 AND json_valid(ai.signals) AND json_type(ai.signals, '$.audit.flags') IS NOT NULL`
    const r = db
      .prepare(
        `SELECT count(*) AS n, count(r.image_id) AS done FROM audit_items ai LEFT JOIN reviews r ON r.image_id = ai.image_id
         WHERE ai.audit_id = ? AND ai.flags & ${bit} != 0 AND NOT coalesce(${kept}, 0)`
      )
      .get(ctx.auditId) as { n: number; done: number }
    const c = db
      .prepare(
        `SELECT count(*) AS n, count(r.image_id) AS done FROM audit_items ai LEFT JOIN reviews r ON r.image_id = ai.image_id
         WHERE ai.audit_id = ? AND ${kept} AND json_extract(ai.signals, '$.audit.flags') & ${bit} != 0`
      )
      .get(ctx.auditId) as { n: number; done: number }
    flagged = r.n + c.n
    flaggedReviewed = r.done + c.done
  }
  const midnight = new Date(now)
  midnight.setHours(0, 0, 0, 0)
  // One decision = one history batch (a bulk relabel of 50 images is one decision).
  const t = db
    .prepare(
      `SELECT count(DISTINCT batch_id) AS n, min(at) AS first, max(at) AS last FROM label_history
       WHERE source IN ('curator', 'bulk') AND at >= ?`
    )
    .get(midnight.toISOString()) as { n: number; first: string | null; last: string | null }
  const hours = t.first && t.last ? (Date.parse(t.last) - Date.parse(t.first)) / 3_600_000 : 0
  return {
    flagged,
    flaggedReviewed,
    reviewed,
    decisionsToday: t.n,
    perHour: hours >= MIN_HOURS ? Math.round(t.n / hours) : null,
    adjudicate: adjudicationIds(db).length
  }
}
