/**
 * What an export covers: one row per image in scope with its annotation, the latest curator change
 * and (optionally) the audit item; predictions and history are loaded on demand by the formats
 * that need them.
 */
import { join } from 'node:path'
import type { DB } from '../store/db'
import { ProjectError } from '../store/errors'
import { getClasses } from '../store/meta'
import type { LabelState, ReviewState } from '../store/labels'
import { getAudit, latestAudit, type AuditRecord } from '../audit/store'
import { ACTIONABLE_MASK, flagMask, type FlagName } from '../audit/flags'

/**
 * Which images: all; changed (current label ≠ original, or state changed); reviewed (a curator
 * decision exists); flagged (the audit set one of `flags`, default any actionable flag); ids (an
 * explicit list, e.g. the UI's current filter).
 */
export type ExportScope =
  | { kind: 'all' }
  | { kind: 'changed' }
  | { kind: 'reviewed' }
  | { kind: 'flagged'; flags?: FlagName[] }
  | { kind: 'ids'; ids: readonly number[] }

export interface ExportRow {
  imageId: number
  datasetRoot: string
  relPath: string
  /** The path written to the export: relative to the dataset root when the project has one dataset, else absolute. */
  path: string
  sha256: string
  split: 'train' | 'val' | 'test' | null
  sourceSplit: string | null
  dupGroup: number | null
  label: number | null
  originalLabel: number | null
  state: LabelState
  originalState: LabelState
  votes: number[] | null
  softLabel: number[] | null
  review: ReviewState | null
  updatedAt: string | null
  /** Actor and time of the latest curator/bulk/revert change, null if never changed. */
  changedBy: string | null
  changedAt: string | null
  audit: {
    score: number | null
    rank: number | null
    flags: number
    suggested: number | null
    strength: number | null
    signals: string | null
    explanation: string | null
  } | null
}

export interface CollectedRows {
  rows: ExportRow[]
  classes: string[]
  audit: AuditRecord | null
  datasetRoots: string[]
}

interface Raw {
  id: number
  root: string
  rel_path: string
  sha256: string
  split: ExportRow['split']
  source_split: string | null
  dup_group: number | null
  current_label: number | null
  original_label: number | null
  state: LabelState | null
  original_state: LabelState | null
  votes: string | null
  soft_label: string | null
  updated_at: string | null
  review: ReviewState | null
  ch_actor: string | null
  ch_at: string | null
  a_score: number | null
  a_rank: number | null
  a_flags: number | null
  a_sugg: number | null
  a_strength: number | null
  a_signals: string | null
  a_expl: string | null
}

/**
 * Reads the rows of `scope`. `auditId`: undefined = the latest audit (if any), null = none.
 * `withDetails` also loads each item's signals and explanation JSON (JSONL).
 */
export function collectRows(db: DB, scope: ExportScope, auditId?: number | null, withDetails = false): CollectedRows {
  const audit = auditId === undefined ? latestAudit(db) : auditId === null ? null : getAudit(db, auditId)
  if (auditId != null && !audit) throw new ProjectError('INVALID', `no audit ${auditId} in this project`)
  if (scope.kind === 'flagged' && !audit)
    throw new ProjectError('INVALID', 'scope "flagged" needs an audit; run `poi-audit audit` first')
  const classes = getClasses(db)
  const roots = (db.prepare('SELECT root FROM datasets ORDER BY id').all() as { root: string }[]).map((r) => r.root)
  const where: string[] = []
  const args: unknown[] = [audit?.id ?? -1]
  if (scope.kind === 'changed')
    where.push('(a.current_label IS NOT a.original_label OR a.state IS NOT a.original_state)')
  if (scope.kind === 'reviewed') where.push('r.image_id IS NOT NULL')
  if (scope.kind === 'flagged') {
    where.push('ai.flags & ? != 0')
    args.push(scope.flags?.length ? flagMask(scope.flags) : ACTIONABLE_MASK)
  }
  const details = withDetails
    ? 'ai.signals AS a_signals, ai.explanation AS a_expl'
    : 'NULL AS a_signals, NULL AS a_expl'
  // The latest non-import change per image, in one pass over the history index.
  const sql = `
    WITH last AS (
      SELECT image_id, actor, at, max(id) FROM label_history WHERE source != 'import' GROUP BY image_id
    )
    SELECT i.id, d.root, i.rel_path, i.sha256, i.split, i.source_split, i.dup_group,
      a.current_label, a.original_label, a.state, a.original_state, a.votes, a.soft_label, a.updated_at,
      r.state AS review, last.actor AS ch_actor, last.at AS ch_at,
      ai.score AS a_score, ai.rank AS a_rank, ai.flags AS a_flags, ai.suggested_label AS a_sugg, ai.strength AS a_strength, ${details}
    FROM images i
    JOIN datasets d ON d.id = i.dataset_id
    LEFT JOIN annotations a ON a.image_id = i.id
    LEFT JOIN reviews r ON r.image_id = i.id
    LEFT JOIN last ON last.image_id = i.id
    LEFT JOIN audit_items ai ON ai.audit_id = ? AND ai.image_id = i.id
    ${where.length ? 'WHERE ' + where.join(' AND ') : ''}
    ORDER BY i.id`
  let raws = db.prepare(sql).all(...args) as Raw[]
  if (scope.kind === 'ids') {
    const want = new Set(scope.ids)
    raws = raws.filter((r) => want.has(r.id))
    if (raws.length !== want.size) {
      const have = new Set(raws.map((r) => r.id))
      const missing = [...want].filter((id) => !have.has(id))
      throw new ProjectError(
        'INVALID',
        `${missing.length} image id(s) are not in this project: ${missing.slice(0, 10).join(', ')}${missing.length > 10 ? ' …' : ''}`
      )
    }
  }
  const single = roots.length <= 1
  const rows = raws.map<ExportRow>((r) => ({
    imageId: r.id,
    datasetRoot: r.root,
    relPath: r.rel_path,
    path: single ? r.rel_path : join(r.root, ...r.rel_path.split('/')),
    sha256: r.sha256,
    split: r.split,
    sourceSplit: r.source_split,
    dupGroup: r.dup_group,
    label: r.current_label,
    originalLabel: r.original_label,
    state: r.state ?? 'unlabeled',
    originalState: r.original_state ?? 'unlabeled',
    votes: r.votes ? (JSON.parse(r.votes) as number[]) : null,
    softLabel: r.soft_label ? (JSON.parse(r.soft_label) as number[]) : null,
    review: r.review,
    updatedAt: r.updated_at,
    changedBy: r.ch_actor,
    changedAt: r.ch_at,
    audit:
      r.a_flags == null
        ? null
        : {
            score: r.a_score,
            rank: r.a_rank,
            flags: r.a_flags,
            suggested: r.a_sugg,
            strength: r.a_strength,
            signals: r.a_signals,
            explanation: r.a_expl
          }
  }))
  return { rows, classes, audit, datasetRoots: roots }
}

/** True when the curator changed the label or the state since import. */
export function isChanged(r: ExportRow): boolean {
  return r.label !== r.originalLabel || r.state !== r.originalState
}
