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
 * (LabelChange.record), so confirming one side counts. An undo removes the decision it undid (the image
 * waits again if that decision was the adjudication); a redo restores it.
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
  batch: string
  /** For an undo, redo or history revert: the batch it undid. */
  reverts: string | null
}

/**
 * The decisions of one image that still stand, in order: an undo (or a history revert) takes the decision
 * it undid out of the replay instead of counting as a decision of its own, so undoing an adjudication puts
 * the image back in the queue; a redo undoes the undo, which brings the decision back.
 */
function standing(rows: readonly HistRow[]): HistRow[] {
  const undoneBy = new Map<string, string[]>()
  for (const r of rows) if (r.reverts) undoneBy.set(r.reverts, [...(undoneBy.get(r.reverts) ?? []), r.batch])
  const memo = new Map<string, boolean>()
  const active = (batch: string, depth = 0): boolean => {
    const known = memo.get(batch)
    if (known !== undefined) return known
    // A batch is undone by any revert of it that is itself in force (chains alternate undo / redo).
    const v = depth > 64 || !(undoneBy.get(batch) ?? []).some((b) => b !== batch && active(b, depth + 1))
    memo.set(batch, v)
    return v
  }
  return rows.filter((r) => !r.reverts && active(r.batch))
}

/**
 * Ids of the images waiting for adjudication, ascending. Reads only the decisions of images that two or
 * more curators decided (a scan of label_history's decision rows; the replay is per image, in id order).
 */
export function adjudicationIds(db: DB): number[] {
  const rows = db
    .prepare(
      `SELECT image_id AS imageId, actor, new_review AS review, new_label AS label, batch_id AS batch,
       reverts_batch AS reverts FROM label_history
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
    const start = i
    while (i < rows.length && rows[i].imageId === imageId) i++
    const views = new Map<string, string | null>()
    // Whether curators already disagreed just before the newest decision that has a view.
    let before = false
    for (const r of standing(rows.slice(start, i))) {
      const key = outcomeKey(r.review, r.label)
      if (key != null) before = disagree(views)
      views.set(r.actor, key)
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
