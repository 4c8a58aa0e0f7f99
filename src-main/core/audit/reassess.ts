/**
 * After a decision (accept, relabel, keep, ambiguous, exclude, undo, revert) an image's stored audit
 * item described its old label: "labelled: disgust" after accepting fear. reassessAuditItems
 * re-judges the changed images against their labels now, with the stored audit's own thresholds and
 * cut-offs (engine.reassessImages, the same judge the audit ran), and rewrites their audit_items
 * rows, so the flags, the suggestion, the strength and the "why" follow the label without a new audit.
 */
import type { DB } from '../store/db'
import { getClasses } from '../store/meta'
import { getPrediction, getRun } from '../store/runs'
import { reassessImages, type AuditItem, type AuditView, type ItemSignals } from './engine'
import { faceStatuses, getAudit, round6, toAuditImage, type ImgRow } from './store'

/**
 * Re-judges `imageIds` (and the other members of their duplicate groups) in audit `auditId` and
 * updates their rows in one transaction. Returns the ids whose rows were rewritten. Nothing happens
 * for an audit without a run or images it never saw (they stay as the audit left them).
 */
export function reassessAuditItems(db: DB, auditId: number, imageIds: readonly number[]): number[] {
  const audit = getAudit(db, auditId)
  if (!audit || audit.runId == null || !imageIds.length) return []
  const run = getRun(db, audit.runId)
  if (!run) return []
  const classes = getClasses(db)
  const map = run.classes.map((name) => classes.indexOf(name as (typeof classes)[number]))
  if (map.some((k) => k < 0)) return []
  const ids = JSON.stringify([...new Set(imageIds)])
  const rows = db
    .prepare(
      `SELECT i.id, i.dup_group, a.current_label, a.original_label, a.state, a.original_state, a.votes, a.soft_label
       FROM images i LEFT JOIN annotations a ON a.image_id = i.id
       WHERE i.id IN (SELECT value FROM json_each(?))
          OR i.dup_group IN (SELECT dup_group FROM images WHERE id IN (SELECT value FROM json_each(?)) AND dup_group IS NOT NULL)
       ORDER BY i.id`
    )
    .all(ids, ids) as ImgRow[]
  const faces = faceStatuses(
    db,
    rows.map((r) => r.id)
  )
  const space = { C: classes.length, map, known: new Set(map), useVotes: audit.config.useVotes }
  const images = rows.map((r) => toAuditImage(r, getPrediction(db, audit.runId!, r.id), space, faces).image)
  const items = reassessImages(classes, images, audit.config, audit.summary)

  // The audit's own judgement of each row, kept in the signals once a re-judgement differs from it.
  const before = db.prepare(
    'SELECT given_label, score, suggested_label, strength, flags, signals FROM audit_items WHERE audit_id = ? AND image_id = ?'
  )
  for (const it of items) {
    const b = before.get(auditId, it.imageId) as StoredRow | undefined
    if (!b) continue
    const view = auditView(b)
    if (!sameJudgement(view, it)) it.signals = { ...(it.signals ?? {}), audit: view }
  }

  const rankOf = db.prepare(
    'SELECT count(*) + 1 AS r FROM audit_items WHERE audit_id = ? AND score < ? AND image_id != ?'
  )
  const update = db.prepare(
    `UPDATE audit_items SET given_label = ?, score = ?, rank = ?, suggested_label = ?, strength = ?, flags = ?, signals = ?, explanation = ?
     WHERE audit_id = ? AND image_id = ?`
  )
  const insert = db.prepare(
    `INSERT INTO audit_items (given_label, score, rank, suggested_label, strength, flags, signals, explanation, audit_id, image_id)
     VALUES (?, ?, ?, ?, ?, ?, ?, ?, ?, ?)`
  )
  const written: number[] = []
  db.transaction(() => {
    for (const it of items) {
      // The new score's place among the stored scores (the other images keep their ranks).
      const rank = it.score == null ? null : (rankOf.get(auditId, it.score, it.imageId) as { r: number }).r
      const vals = [
        it.givenLabel,
        it.score,
        rank,
        it.suggestedLabel,
        it.strength,
        it.flags,
        it.signals ? JSON.stringify(round6(it.signals)) : null,
        JSON.stringify(it.explanation),
        auditId,
        it.imageId
      ]
      if (update.run(...vals).changes) written.push(it.imageId)
      else if (it.score != null || it.flags) {
        insert.run(...vals)
        written.push(it.imageId)
      }
    }
  }).immediate()
  return written
}

interface StoredRow {
  given_label: number | null
  score: number | null
  suggested_label: number | null
  strength: number | null
  flags: number
  signals: string | null
}

/** The audit's view of a stored row: the one it keeps in its signals, else the row itself. */
function auditView(b: StoredRow): AuditView {
  let signals: ItemSignals | null = null
  try {
    signals = b.signals ? (JSON.parse(b.signals) as ItemSignals) : null
  } catch {
    signals = null // a damaged row: its columns are the best record of the audit's judgement
  }
  if (signals?.audit) return signals.audit
  return {
    givenLabel: b.given_label,
    score: b.score,
    suggestedLabel: b.suggested_label,
    strength: b.strength,
    flags: b.flags,
    signals
  }
}

/** Whether a re-judged item says what the audit said (scores compared as stored, to 6 decimals). */
function sameJudgement(v: AuditView, it: AuditItem): boolean {
  const r = (x: number | null): number | null => (x == null ? null : Math.round(x * 1e6) / 1e6)
  return (
    v.givenLabel === it.givenLabel &&
    v.flags === it.flags &&
    v.suggestedLabel === it.suggestedLabel &&
    r(v.score) === r(it.score) &&
    r(v.strength) === r(it.strength)
  )
}
