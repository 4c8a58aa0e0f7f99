/**
 * review.decide / review.bulkRelabel: a curator decision → one durable label change (annotation,
 * review and an append-only history row in one transaction; synchronous=FULL makes it reach the disk
 * before the call returns).
 */
import type { DB } from '../store/db'
import { applyChanges, getAnnotation, type LabelChange } from '../store/labels'
import { getClasses } from '../store/meta'
import { getPrediction, getRun } from '../store/runs'
import type { BatchResult, BulkDecideResult, Decision } from './contract'
import { ApiFailure } from './errors'
import type { ReadContext } from './queries/context'
import { remap } from './queries/prediction'
import { latestView, outcomeKey } from './queries/adjudicate'

function checkLabel(label: number, nClasses: number, field: string): void {
  if (label >= nClasses)
    throw new ApiFailure('INVALID_ARGS', `${field}: class index ${label} is outside the project's ${nClasses} classes`)
}

/** The audit's current suggestion for an image, or null. */
function suggestion(db: DB, ctx: ReadContext, imageId: number): number | null {
  if (ctx.auditId == null) return null
  const r = db
    .prepare('SELECT suggested_label AS s FROM audit_items WHERE audit_id = ? AND image_id = ?')
    .get(ctx.auditId, imageId) as { s: number | null } | undefined
  return r?.s ?? null
}

/** The model's soft label (OIM q_i at T = 1) in project class order, normalised to sum 1. */
function modelSoftLabel(db: DB, ctx: ReadContext, imageId: number): number[] | null {
  if (ctx.runId == null) return null
  const run = getRun(db, ctx.runId)
  const p = run ? getPrediction(db, ctx.runId, imageId) : null
  const v = p?.oimSoftT1 ?? p?.oimSoft
  if (!run || !v) return null
  const out = remap(v, run.classes, getClasses(db))
  const sum = out.reduce((s, x) => s + x, 0)
  return sum > 0 ? out.map((x) => x / sum) : null
}

/** Translates a decision into the label change it stands for. */
export function decisionChange(db: DB, ctx: ReadContext, imageId: number, d: Decision): LabelChange {
  const ann = getAnnotation(db, imageId)
  if (!ann) throw new ApiFailure('NOT_FOUND', `no image ${imageId} in this project`)
  const n = ctx.classes
  switch (d.kind) {
    case 'accept': {
      const s = suggestion(db, ctx, imageId)
      if (d.label != null) checkLabel(d.label, n, 'decision.label')
      if (s != null && d.label != null && s !== d.label) {
        throw new ApiFailure(
          'CONFLICT',
          `the suggestion for image ${imageId} is now class ${s}, not ${d.label}; reload the item`
        )
      }
      const label = s ?? d.label
      if (label == null)
        throw new ApiFailure('NOT_AVAILABLE', `image ${imageId} has no suggested label to accept (no audit suggestion)`)
      return { imageId, label, state: 'labeled', softLabel: null, review: 'accepted' }
    }
    case 'keep':
      if (ann.currentLabel == null)
        throw new ApiFailure('INVALID_ARGS', `image ${imageId} has no label to keep; relabel it instead`)
      return { imageId, state: 'labeled', softLabel: null, review: 'kept' }
    case 'relabel':
      checkLabel(d.label, n, 'decision.label')
      return { imageId, label: d.label, state: 'labeled', softLabel: null, review: 'relabeled' }
    case 'exclude':
      return { imageId, state: 'excluded', review: 'excluded' }
    case 'ambiguous': {
      let soft = d.softLabel ?? null
      if (soft) {
        if (soft.length !== n)
          throw new ApiFailure(
            'INVALID_ARGS',
            `decision.softLabel: has ${soft.length} values, the project has ${n} classes`
          )
        const sum = soft.reduce((s, x) => s + x, 0)
        if (Math.abs(sum - 1) > 1e-3) throw new ApiFailure('INVALID_ARGS', `decision.softLabel: sums to ${sum}, not 1`)
      } else {
        soft = modelSoftLabel(db, ctx, imageId)
      }
      return { imageId, state: 'ambiguous', softLabel: soft, review: 'ambiguous' }
    }
    case 'skip':
      return { imageId, review: 'skipped' }
  }
}

export function decide(
  db: DB,
  ctx: ReadContext,
  actor: string,
  imageId: number,
  d: Decision,
  reason?: string
): { batchId: string | null } {
  const change = decisionChange(db, ctx, imageId, d)
  // A decision that leaves the image as it is still records this curator's view when it is new for them
  // (an adjudication that confirms one side, a second opinion that agrees): see queries/adjudicate.ts.
  const ann = getAnnotation(db, imageId)!
  const view = outcomeKey(
    change.review !== undefined ? change.review : ann.review,
    change.label !== undefined ? change.label : ann.currentLabel
  )
  if (view !== latestView(db, actor, imageId)) change.record = true
  const r = applyChanges(db, [change], { actor, source: 'curator', reason })
  return { batchId: r.changed ? r.batchId : null }
}

export function bulkRelabel(
  db: DB,
  ctx: ReadContext,
  actor: string,
  imageIds: readonly number[],
  label: number,
  reason?: string
): BatchResult {
  checkLabel(label, ctx.classes, 'label')
  const ids = [...new Set(imageIds)]
  const known = db
    .prepare(`SELECT count(*) AS n FROM annotations WHERE image_id IN (SELECT value FROM json_each(?))`)
    .get(JSON.stringify(ids)) as {
    n: number
  }
  if (known.n !== ids.length)
    throw new ApiFailure('NOT_FOUND', `${ids.length - known.n} of the ${ids.length} images are not in this project`)
  const r = applyChanges(
    db,
    ids.map((imageId) => ({
      imageId,
      label,
      state: 'labeled' as const,
      softLabel: null,
      review: 'relabeled' as const
    })),
    { actor, source: 'bulk', reason }
  )
  return { batchId: r.changed ? r.batchId : null, changed: r.changed }
}

export interface BulkDecision {
  kind: 'accept' | 'keep' | 'exclude' | 'ambiguous' | 'relabel'
  label?: number
  minStrength?: number
}

/**
 * One decision for many images, as one history batch (one undo). Each image's change comes from
 * decisionChange, so a bulk decision records exactly what the same key on each image would; accept
 * takes only images whose audit suggestion has strength ≥ minStrength; a relabel to the image's own
 * label is a keep.
 */
export function bulkDecide(
  db: DB,
  ctx: ReadContext,
  actor: string,
  imageIds: readonly number[],
  d: BulkDecision,
  reason?: string
): BulkDecideResult {
  const ids = [...new Set(imageIds)]
  if (d.kind === 'relabel') {
    if (d.label == null) throw new ApiFailure('INVALID_ARGS', 'label: a bulk relabel needs the class to set')
    checkLabel(d.label, ctx.classes, 'label')
  }
  const strength =
    d.kind === 'accept' && ctx.auditId != null
      ? db.prepare('SELECT suggested_label AS s, strength FROM audit_items WHERE audit_id = ? AND image_id = ?')
      : null
  const changes: LabelChange[] = []
  let skipped = 0
  for (const imageId of ids) {
    let one: Decision
    if (d.kind === 'accept') {
      const a = strength?.get(ctx.auditId, imageId) as { s: number | null; strength: number | null } | undefined
      if (a?.s == null || (d.minStrength != null && (a.strength ?? 0) < d.minStrength)) {
        skipped++
        continue
      }
      one = { kind: 'accept', label: a.s }
    } else if (d.kind === 'relabel') {
      one =
        getAnnotation(db, imageId)?.currentLabel === d.label ? { kind: 'keep' } : { kind: 'relabel', label: d.label! }
    } else one = { kind: d.kind }
    changes.push(decisionChange(db, ctx, imageId, one))
  }
  if (!changes.length) return { batchId: null, changed: 0, decided: 0, skipped }
  const r = applyChanges(db, changes, { actor, source: 'bulk', reason })
  return { batchId: r.changed ? r.batchId : null, changed: r.changed, decided: changes.length, skipped }
}
