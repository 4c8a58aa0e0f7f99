/**
 * The adjudicate queue (issue 17): images on which curators disagree.
 *
 * Each curator's view of an image is the outcome of their latest decision on it in label_history
 * (sources curator, bulk and revert; imports and annotator votes are not curators): the label it left
 * for keep / accept / relabel (so "kept 3" and "relabeled to 3" agree), 'excluded', 'ambiguous', or no view
 * at all for a skip or an undo back to unreviewed. Curators disagree when their views hold two or more
 * different outcomes.
 *
 * Leaving the queue (the rule chosen): an image waits for adjudication while the curators disagree AND the
 * newest decision with a view is the one that started the disagreement. A decision made while curators
 * already disagreed — by anyone, a third curator or one of the two — is the adjudication; after it the
 * image leaves the queue, whatever the older views still say. A curator who changes their view so that
 * all agree also ends it. A decision equal to the current state but new for its curator is recorded
 * (LabelChange.record), so confirming one side counts.
 */
import type { DB } from '../../store/db'

/**
 * Rows that are a curator's decision (sources curator, bulk, revert: every source but import), written as the
 * partial index label_history_decisions (migration 0100) is, so SQLite reads that index.
 */
const DECISION = "source != 'import'"

/** One curator's view of an image after a decision: a comparable key, or null for "no view". */
export function outcomeKey(review: string | null, label: number | null): string | null {
  if (review == null || review === 'skipped') return null
  if (review === 'excluded' || review === 'ambiguous') return review
  return `label ${label ?? 'none'}`
}

function disagree(views: Map<string, string | null>): boolean {
  const seen = new Set<string>()
  for (const v of views.values()) if (v != null) seen.add(v)
  return seen.size >= 2
}

interface HistRow {
  imageId: number
  actor: string
  review: string | null
  label: number | null
}

/**
 * Ids of the images waiting for adjudication, ascending. Reads only the decisions of images that two or
 * more curators decided (a scan of label_history's decision rows; the replay is per image, in id order).
 */
export function adjudicationIds(db: DB): number[] {
  const rows = db
    .prepare(
      `SELECT image_id AS imageId, actor, new_review AS review, new_label AS label FROM label_history
       WHERE ${DECISION} AND image_id IN (
         SELECT image_id FROM label_history WHERE ${DECISION}
         GROUP BY image_id HAVING count(DISTINCT actor) >= 2)
       ORDER BY image_id, id`
    )
    .all() as HistRow[]
  const out: number[] = []
  let i = 0
  while (i < rows.length) {
    const imageId = rows[i].imageId
    const views = new Map<string, string | null>()
    // Whether curators already disagreed just before the newest decision that has a view.
    let before = false
    for (; i < rows.length && rows[i].imageId === imageId; i++) {
      const key = outcomeKey(rows[i].review, rows[i].label)
      if (key != null) before = disagree(views)
      views.set(rows[i].actor, key)
    }
    if (disagree(views) && !before) out.push(imageId)
  }
  return out
}

/** The view `actor`'s latest decision on an image left, or null (no decision or no view). */
export function latestView(db: DB, actor: string, imageId: number): string | null {
  const r = db
    .prepare(
      `SELECT new_review AS review, new_label AS label FROM label_history
       WHERE image_id = ? AND actor = ? AND ${DECISION} ORDER BY id DESC LIMIT 1`
    )
    .get(imageId, actor) as { review: string | null; label: number | null } | undefined
  return r ? outcomeKey(r.review, r.label) : null
}
