import { randomUUID } from 'node:crypto'
import type { DB } from './db'
import { nowIso } from './db'
import { ProjectError } from './errors'

/** The state of an image's annotation. */
export type LabelState = 'labeled' | 'unlabeled' | 'unknown' | 'not_face' | 'excluded' | 'ambiguous'
/** A curator's review decision on an image (null = not reviewed yet). */
export type ReviewState = 'accepted' | 'kept' | 'relabeled' | 'excluded' | 'ambiguous' | 'skipped'
export type ChangeSource = 'import' | 'curator' | 'bulk' | 'revert'

export const LABEL_STATES: readonly LabelState[] = [
  'labeled',
  'unlabeled',
  'unknown',
  'not_face',
  'excluded',
  'ambiguous'
]
export const REVIEW_STATES: readonly ReviewState[] = [
  'accepted',
  'kept',
  'relabeled',
  'excluded',
  'ambiguous',
  'skipped'
]

/** An image's annotation as stored. */
export interface Annotation {
  imageId: number
  originalLabel: number | null
  currentLabel: number | null
  state: LabelState
  originalState: LabelState
  /** Vote counts or probabilities per class index (FERPlus votes), when the source had them. */
  votes: number[] | null
  /** A soft label kept by the curator (state 'ambiguous'), per class index, summing to 1. */
  softLabel: number[] | null
  review: ReviewState | null
  updatedAt: string
}

/** What a decision sets; omitted fields stay as they are. */
export interface LabelChange {
  imageId: number
  label?: number | null
  state?: LabelState
  softLabel?: number[] | null
  review?: ReviewState | null
  /**
   * Write the history row even when nothing changes: a curator's decision that matches the current state but not
   * what this curator said before (a second opinion that agrees, an adjudication that confirms). Undoing such a
   * row writes a like row, so the undo/redo stacks stay consistent.
   */
  record?: boolean
}

export interface ChangeContext {
  actor: string
  source: Exclude<ChangeSource, 'import'>
  reason?: string
  /** Groups the changes of one user action; one is made when omitted. */
  batchId?: string
}

export interface HistoryEntry {
  id: number
  imageId: number
  at: string
  actor: string
  source: ChangeSource
  oldLabel: number | null
  newLabel: number | null
  oldState: LabelState | null
  newState: LabelState
  oldReview: ReviewState | null
  newReview: ReviewState | null
  reason: string | null
  batchId: string
  revertsBatch: string | null
}

interface AnnRow {
  image_id: number
  original_label: number | null
  current_label: number | null
  state: LabelState
  original_state: LabelState
  votes: string | null
  soft_label: string | null
  review: ReviewState | null
  updated_at: string
}

const SELECT_ANN = `SELECT a.*, r.state AS review FROM annotations a LEFT JOIN reviews r ON r.image_id = a.image_id`

function toAnnotation(r: AnnRow): Annotation {
  return {
    imageId: r.image_id,
    originalLabel: r.original_label,
    currentLabel: r.current_label,
    state: r.state,
    originalState: r.original_state,
    votes: r.votes ? (JSON.parse(r.votes) as number[]) : null,
    softLabel: r.soft_label ? (JSON.parse(r.soft_label) as number[]) : null,
    review: r.review,
    updatedAt: r.updated_at
  }
}

export function getAnnotation(db: DB, imageId: number): Annotation | null {
  const r = db.prepare(`${SELECT_ANN} WHERE a.image_id = ?`).get(imageId) as AnnRow | undefined
  return r ? toAnnotation(r) : null
}

function classCount(db: DB): number {
  return (db.prepare('SELECT count(*) AS n FROM classes').get() as { n: number }).n
}

function validate(db: DB, c: LabelChange, nClasses: number): void {
  if (!Number.isInteger(c.imageId) || c.imageId <= 0) throw new ProjectError('INVALID', `bad image id ${c.imageId}`)
  if (c.label != null && (!Number.isInteger(c.label) || c.label < 0 || c.label >= nClasses)) {
    throw new ProjectError('INVALID', `label index ${c.label} is outside the project's ${nClasses} classes`)
  }
  if (c.softLabel != null) {
    const s = c.softLabel
    const sum = s.reduce((a, b) => a + b, 0)
    if (s.length !== nClasses || s.some((v) => !Number.isFinite(v) || v < 0) || Math.abs(sum - 1) > 1e-3) {
      throw new ProjectError(
        'INVALID',
        `soft label for image ${c.imageId} must be ${nClasses} non-negative numbers summing to 1`
      )
    }
  }
}

/**
 * Applies label/state/review changes as one durable transaction: the annotation rows, the review
 * rows and one append-only history row per image. Returns the batch id (the unit of undo).
 * With synchronous=FULL the changes are on disk when this returns.
 */
export function applyChanges(
  db: DB,
  changes: readonly LabelChange[],
  ctx: ChangeContext
): { batchId: string; changed: number } {
  const nClasses = classCount(db)
  for (const c of changes) validate(db, c, nClasses)
  const batchId = ctx.batchId ?? randomUUID()
  const at = nowIso()
  const getAnn = db.prepare(`${SELECT_ANN} WHERE a.image_id = ?`)
  const updAnn = db.prepare(
    'UPDATE annotations SET current_label = ?, state = ?, soft_label = ?, updated_at = ? WHERE image_id = ?'
  )
  const setReview = db.prepare(
    `INSERT INTO reviews (image_id, state, decided_at, actor, batch_id) VALUES (?, ?, ?, ?, ?)
     ON CONFLICT(image_id) DO UPDATE SET state = excluded.state, decided_at = excluded.decided_at,
       actor = excluded.actor, batch_id = excluded.batch_id`
  )
  const delReview = db.prepare('DELETE FROM reviews WHERE image_id = ?')
  const insHist = db.prepare(
    `INSERT INTO label_history (image_id, at, actor, source, old_label, new_label, old_state, new_state,
       old_soft, new_soft, old_review, new_review, reason, batch_id, reverts_batch)
     VALUES (?, ?, ?, ?, ?, ?, ?, ?, ?, ?, ?, ?, ?, ?, ?)`
  )
  let changed = 0
  const run = db.transaction(() => {
    for (const c of changes) {
      const row = getAnn.get(c.imageId) as AnnRow | undefined
      if (!row) throw new ProjectError('INVALID', `image ${c.imageId} has no annotation in this project`)
      const label = c.label !== undefined ? c.label : row.current_label
      const state: LabelState = c.state ?? (c.label != null && row.state === 'unlabeled' ? 'labeled' : row.state)
      const soft = c.softLabel !== undefined ? (c.softLabel ? JSON.stringify(c.softLabel) : null) : row.soft_label
      const review = c.review !== undefined ? c.review : row.review
      const same =
        label === row.current_label && state === row.state && soft === row.soft_label && review === row.review
      if (same && !c.record) continue
      updAnn.run(label, state, soft, at, c.imageId)
      if (review == null) delReview.run(c.imageId)
      else setReview.run(c.imageId, review, at, ctx.actor, batchId)
      insHist.run(
        c.imageId,
        at,
        ctx.actor,
        ctx.source,
        row.current_label,
        label,
        row.state,
        state,
        row.soft_label,
        soft,
        row.review,
        review,
        ctx.reason ?? null,
        batchId,
        revertsOf(ctx)
      )
      changed++
    }
  })
  run.immediate()
  return { batchId, changed }
}

// A revert context carries the batch it undoes in its reason-less batch metadata.
const REVERTS = Symbol('reverts')
type RevertCtx = ChangeContext & { [REVERTS]?: string }
function revertsOf(ctx: RevertCtx): string | null {
  return ctx[REVERTS] ?? null
}

interface HistRow {
  id: number
  image_id: number
  at: string
  actor: string
  source: ChangeSource
  old_label: number | null
  new_label: number | null
  old_state: LabelState | null
  new_state: LabelState
  old_soft: string | null
  new_soft: string | null
  old_review: ReviewState | null
  new_review: ReviewState | null
  reason: string | null
  batch_id: string
  reverts_batch: string | null
}

function toEntry(r: HistRow): HistoryEntry {
  return {
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
    revertsBatch: r.reverts_batch
  }
}

/** Rows that restore what `rows` changed (each image back to its value before its row). */
function restoring(rows: HistRow[]): LabelChange[] {
  // The earliest row per image holds the value before the batch touched it.
  const first = new Map<number, HistRow>()
  for (const r of rows) if (!first.has(r.image_id) || first.get(r.image_id)!.id > r.id) first.set(r.image_id, r)
  return [...first.values()].map((r) => ({
    imageId: r.image_id,
    label: r.old_label,
    state: r.old_state ?? 'unlabeled',
    softLabel: r.old_soft ? (JSON.parse(r.old_soft) as number[]) : null,
    review: r.old_review,
    record:
      r.old_label === r.new_label &&
      r.old_state === r.new_state &&
      r.old_soft === r.new_soft &&
      r.old_review === r.new_review
  }))
}

/** Undoes one batch: a new 'revert' batch restores every image it changed. */
export function revertBatch(
  db: DB,
  batchId: string,
  actor: string,
  reason?: string
): { batchId: string; changed: number } {
  const rows = db.prepare('SELECT * FROM label_history WHERE batch_id = ? ORDER BY id').all(batchId) as HistRow[]
  if (!rows.length) throw new ProjectError('INVALID', `no change batch ${batchId}`)
  const ctx: RevertCtx = { actor, source: 'revert', reason: reason ?? `revert of ${batchId}`, [REVERTS]: batchId }
  return applyChanges(db, restoring(rows), ctx)
}

/** Reverts chosen history entries (the History page's "revert selected") as one new batch. */
export function revertEntries(
  db: DB,
  entryIds: readonly number[],
  actor: string
): { batchId: string; changed: number } {
  if (!entryIds.length) return { batchId: '', changed: 0 }
  const rows = db
    .prepare(`SELECT * FROM label_history WHERE id IN (${entryIds.map(() => '?').join(',')}) ORDER BY id`)
    .all(...entryIds) as HistRow[]
  if (rows.length !== new Set(entryIds).size) throw new ProjectError('INVALID', 'some history entries do not exist')
  return applyChanges(db, restoring(rows), {
    actor,
    source: 'revert',
    reason: `revert of entries ${entryIds.join(', ')}`
  })
}

/**
 * The undo/redo stacks of one actor, derived from the history so they survive restarts:
 * curator/bulk batches push onto undo (and clear redo); a revert of the top undo batch moves it to
 * redo; a revert of that revert (a redo) moves it back.
 */
export function undoStacks(
  db: DB,
  actor: string,
  limit = 500
): { undo: string[]; redo: { batch: string; undoneBy: string }[] } {
  const batches = db
    .prepare(
      `SELECT batch_id, source, reverts_batch, max(id) AS last FROM label_history
       WHERE actor = ? AND source IN ('curator', 'bulk', 'revert')
       GROUP BY batch_id ORDER BY last DESC LIMIT ?`
    )
    .all(actor, limit)
    .reverse() as { batch_id: string; source: ChangeSource; reverts_batch: string | null }[]
  const undo: string[] = []
  const redo: { batch: string; undoneBy: string }[] = []
  for (const b of batches) {
    if (b.source !== 'revert' || !b.reverts_batch) {
      undo.push(b.batch_id)
      redo.length = 0
    } else if (undo.length && undo[undo.length - 1] === b.reverts_batch) {
      undo.pop()
      redo.push({ batch: b.reverts_batch, undoneBy: b.batch_id })
    } else if (redo.length && redo[redo.length - 1].undoneBy === b.reverts_batch) {
      redo.pop()
      undo.push(b.batch_id)
    } else {
      // A revert from the History page: a new action of its own.
      undo.push(b.batch_id)
      redo.length = 0
    }
  }
  return { undo, redo }
}

/** Undoes the actor's latest action; returns null when there is nothing to undo. */
export function undo(db: DB, actor: string): { batchId: string; undone: string; imageIds: number[] } | null {
  const { undo: stack } = undoStacks(db, actor)
  const top = stack[stack.length - 1]
  if (!top) return null
  const r = revertBatch(db, top, actor, 'undo')
  return { batchId: r.batchId, undone: top, imageIds: batchImages(db, top) }
}

/** Re-applies the actor's latest undone action; null when there is nothing to redo. */
export function redo(db: DB, actor: string): { batchId: string; redone: string; imageIds: number[] } | null {
  const { redo: stack } = undoStacks(db, actor)
  const top = stack[stack.length - 1]
  if (!top) return null
  const r = revertBatch(db, top.undoneBy, actor, 'redo')
  return { batchId: r.batchId, redone: top.batch, imageIds: batchImages(db, top.batch) }
}

function batchImages(db: DB, batchId: string): number[] {
  return (
    db.prepare('SELECT DISTINCT image_id FROM label_history WHERE batch_id = ?').all(batchId) as { image_id: number }[]
  ).map((r) => r.image_id)
}

export interface HistoryQuery {
  imageId?: number
  actor?: string
  source?: ChangeSource
  /** Only entries with id below this (paging backwards from the newest). */
  beforeId?: number
  limit?: number
}

/** History, newest first. */
export function listHistory(db: DB, q: HistoryQuery = {}): HistoryEntry[] {
  const where: string[] = []
  const args: unknown[] = []
  const add = (clause: string, value: unknown): void => {
    where.push(clause)
    args.push(value)
  }
  if (q.imageId != null) add('image_id = ?', q.imageId)
  if (q.actor) add('actor = ?', q.actor)
  if (q.source) add('source = ?', q.source)
  if (q.beforeId != null) add('id < ?', q.beforeId)
  const sql = `SELECT * FROM label_history ${where.length ? 'WHERE ' + where.join(' AND ') : ''} ORDER BY id DESC LIMIT ?`
  args.push(Math.min(Math.max(q.limit ?? 200, 1), 10_000))
  return (db.prepare(sql).all(...args) as HistRow[]).map(toEntry)
}
