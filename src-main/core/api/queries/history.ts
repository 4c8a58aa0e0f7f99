/** history.list: the label history, newest first, keyset-paged by id. */
import type { DB } from '../../store/db'
import type { HistoryEntryView, HistorySource } from '../contract'

export interface HistoryArgs {
  imageId?: number
  actor?: string
  source?: HistorySource
  excludeSource?: HistorySource
  batchId?: string
  beforeId?: number
  limit?: number
}

interface Row {
  id: number
  image_id: number
  at: string
  actor: string
  source: HistorySource
  old_label: number | null
  new_label: number | null
  old_state: HistoryEntryView['oldState']
  new_state: HistoryEntryView['newState']
  old_review: HistoryEntryView['oldReview']
  new_review: HistoryEntryView['newReview']
  reason: string | null
  batch_id: string
  reverts_batch: string | null
}

export function listHistoryPage(db: DB, q: HistoryArgs): { entries: HistoryEntryView[]; nextBeforeId: number | null } {
  const where: string[] = []
  const params: unknown[] = []
  const add = (sql: string, v: unknown): void => {
    where.push(sql)
    params.push(v)
  }
  if (q.imageId != null) add('image_id = ?', q.imageId)
  if (q.actor != null) add('actor = ?', q.actor)
  if (q.source != null) add('source = ?', q.source)
  if (q.excludeSource != null) add('source <> ?', q.excludeSource)
  if (q.batchId != null) add('batch_id = ?', q.batchId)
  if (q.beforeId != null) add('id < ?', q.beforeId)
  const limit = q.limit ?? 100
  const rows = db
    .prepare(
      `SELECT * FROM label_history ${where.length ? `WHERE ${where.join(' AND ')}` : ''} ORDER BY id DESC LIMIT ?`
    )
    .all(...params, limit + 1) as Row[]
  const page = rows.slice(0, limit)
  // What each undo / revert entry undid: the reverted batch's first entry and its number of images.
  const undone = db.prepare(
    `SELECT source, image_id, old_label, new_label, new_state, new_review, (SELECT count(DISTINCT image_id) FROM label_history WHERE batch_id = @b) AS images
     FROM label_history WHERE batch_id = @b ORDER BY id LIMIT 1`
  )
  const undoes = (batch: string | null): HistoryEntryView['undoes'] => {
    if (!batch) return null
    const u = undone.get({ b: batch }) as
      | {
          source: HistorySource
          image_id: number
          old_label: number | null
          new_label: number | null
          new_state: HistoryEntryView['newState']
          new_review: HistoryEntryView['newReview']
          images: number
        }
      | undefined
    return u
      ? {
          source: u.source,
          images: u.images,
          imageId: u.image_id,
          oldLabel: u.old_label,
          newLabel: u.new_label,
          newState: u.new_state,
          newReview: u.new_review
        }
      : null
  }
  return {
    entries: page.map((r) => ({
      id: r.id,
      imageId: r.image_id,
      at: r.at,
      actor: r.actor,
      source: r.source,
      oldLabel: r.old_label,
      newLabel: r.new_label,
      oldState: r.old_state,
      newState: r.new_state,
      oldReview: r.old_review,
      newReview: r.new_review,
      reason: r.reason,
      batchId: r.batch_id,
      revertsBatch: r.reverts_batch,
      undoes: undoes(r.reverts_batch)
    })),
    nextBeforeId: rows.length > limit ? page[page.length - 1].id : null
  }
}
