/**
 * The audit's database side: `runAudit` reads a run's predictions and the current labels, runs the
 * engine and stores the result (tables of migration 0040) in one transaction; the readers serve
 * the CLI, the exports and the app API.
 */
import type { DB } from '../store/db'
import { nowIso } from '../store/db'
import { ProjectError } from '../store/errors'
import { getClasses } from '../store/meta'
import { getRun, predictionCounts, readPredictions, type Prediction } from '../store/runs'
import { REGION_COUNT } from '../model/prediction-layout'
import { resolveAuditConfig, type AuditConfig, type AuditConfigInput } from './config'
import { computeAudit, type AuditImage, type AuditPrediction, type EngineSummary, type ItemSignals } from './engine'
import type { Explanation } from './explain'
import { FLAG_BITS, FLAG_NAMES, flagNames, type FlagName } from './flags'

/** Version of the stored summary JSON. */
export const AUDIT_SUMMARY_VERSION = 1

export interface AuditSummary extends EngineSummary {
  version: number
  method: 'poi' | 'cl'
  runId: number
  /** The project's class names (label indices index this list). */
  classes: string[]
  /** Images not scored, by reason. */
  skipped: { noPrediction: number; unlabelled: number; classNotInRun: number }
  /** Predictions of the run: total and out-of-sample (k-fold held-out). */
  predictions: { total: number; outOfSample: number }
  /** Did the faces table exist (no_face / several_faces flags possible)? */
  faceFlags: boolean
  warnings: string[]
  durationMs: number
}

export interface AuditRecord {
  id: number
  runId: number | null
  method: 'poi' | 'cl'
  createdAt: string
  config: AuditConfig
  summary: AuditSummary
}

export interface AuditProgress {
  phase: 'reading' | 'scoring' | 'writing' | 'done'
  /** Images handled in this phase so far, and in total. */
  done: number
  total: number
}

export interface RunAuditOptions {
  progress?: (e: AuditProgress) => void
  /** Checked between phases (the phases are synchronous, each well under a second for 35k images). */
  signal?: AbortSignal
}

const LABELLED = new Set(['labeled', 'ambiguous'])
const tick = (): Promise<void> => new Promise((r) => setImmediate(r))

/** An image row joined with its annotation, as the audit reads it. */
export interface ImgRow {
  id: number
  dup_group: number | null
  current_label: number | null
  original_label: number | null
  state: string | null
  original_state: string | null
  votes: string | null
  soft_label: string | null
}

/** Aligner findings by image id (of `ids` only, when given); null when the project has no faces table. */
export function faceStatuses(db: DB, ids?: readonly number[]): Map<number, 'no-face' | 'several-faces'> | null {
  const has = db.prepare("SELECT 1 FROM sqlite_schema WHERE type = 'table' AND name = 'faces'").get()
  if (!has) return null
  const cols = new Set((db.prepare('PRAGMA table_info(faces)').all() as { name: string }[]).map((c) => c.name))
  if (!cols.has('image_id') || !cols.has('status')) return null
  const out = new Map<number, 'no-face' | 'several-faces'>()
  const rows = ids
    ? db
        .prepare('SELECT image_id, status FROM faces WHERE image_id IN (SELECT value FROM json_each(?))')
        .all(JSON.stringify(ids))
    : db.prepare('SELECT image_id, status FROM faces').all()
  for (const r of rows as { image_id: number; status: string }[]) {
    const s = String(r.status).toLowerCase().replace(/_/g, '-')
    if (s === 'no-face') out.set(r.image_id, 'no-face')
    else if (s === 'several-faces' || s === 'multiple-faces') out.set(r.image_id, 'several-faces')
  }
  return out
}

/** Re-indexes a run-space vector (C_run per block) into project space (C per block), zeros elsewhere. */
function expand(v: Float32Array | null, map: number[], C: number, blocks = 1): Float32Array | null {
  if (!v) return null
  const Cr = map.length
  const out = new Float32Array(blocks * C)
  for (let b = 0; b < blocks; b++) for (let k = 0; k < Cr; k++) out[b * C + map[k]] = v[b * Cr + k]
  return out
}

/** The project's class space as a run sees it: `map[k]` = project index of the run's class k. */
export interface LabelSpace {
  C: number
  map: number[]
  known: Set<number>
  useVotes: boolean
}

/**
 * One image as the engine reads it (label to judge, votes, soft label, prediction in project space),
 * and why it is not scored, if it is not. Shared by runAudit and reassessAuditItems, so a re-judged
 * image is read exactly as the audit read it.
 */
export function toAuditImage(
  r: ImgRow,
  p: Prediction | null,
  space: LabelSpace,
  faces: Map<number, 'no-face' | 'several-faces'> | null
): { image: AuditImage; skip: 'unlabelled' | 'classNotInRun' | 'noPrediction' | null } {
  const { C, map, known } = space
  const labelled = r.state != null && LABELLED.has(r.state) && r.current_label != null
  let label: number | null = labelled ? r.current_label : null
  let skip: 'unlabelled' | 'classNotInRun' | 'noPrediction' | null = null
  if (!labelled) skip = 'unlabelled'
  else if (!known.has(r.current_label!)) {
    skip = 'classNotInRun'
    label = null
  } else if (!p) skip = 'noPrediction'
  const unchanged = r.current_label === r.original_label && r.state === r.original_state
  const votes = space.useVotes && unchanged && r.votes ? (JSON.parse(r.votes) as number[]) : null
  const soft = r.state === 'ambiguous' && r.soft_label ? (JSON.parse(r.soft_label) as number[]) : null
  const pred: AuditPrediction | null = p && {
    fold: p.fold,
    trnProbs: expand(p.trnProbs, map, C)!,
    oimSoft: expand(p.oimSoft, map, C),
    oimSoftT1: expand(p.oimSoftT1, map, C),
    regionProbs: expand(p.regionProbs, map, C, REGION_COUNT),
    gate: p.gate,
    uemConfidence: p.uemConfidence,
    auProb: p.auProb,
    auImportance: p.auImportance
  }
  const image: AuditImage = {
    imageId: r.id,
    label,
    groupLabel: labelled ? r.current_label : null,
    votes: votes && votes.length === C ? votes : null,
    softLabel: soft && soft.length === C ? soft : null,
    dupGroup: r.dup_group,
    face: faces?.get(r.id) ?? null,
    pred
  }
  return { image, skip }
}

/**
 * Audits `runId`'s predictions against the current labels with `config` (defaults filled), stores
 * the result and returns the new audit's id.
 */
export async function runAudit(
  db: DB,
  runId: number,
  config: AuditConfigInput = {},
  opts: RunAuditOptions = {}
): Promise<number> {
  const started = Date.now()
  const cfg = resolveAuditConfig(config)
  const run = getRun(db, runId)
  if (!run) throw new ProjectError('INVALID', `no run ${runId} in this project`)
  if (run.status === 'running')
    throw new ProjectError('INVALID', `run ${runId} is still running; audit it when it has finished`)
  const classes = getClasses(db)
  const C = classes.length
  const map = run.classes.map((name) => classes.indexOf(name as (typeof classes)[number]))
  const unknown = run.classes.filter((_, k) => map[k] < 0)
  if (unknown.length)
    throw new ProjectError('INVALID', `run ${runId} predicts classes this project lacks: ${unknown.join(', ')}`)
  const known = new Set(map)
  const warnings: string[] = []
  if (run.status !== 'done') warnings.push(`run ${runId} ended as '${run.status}'; its predictions may be incomplete`)

  opts.progress?.({ phase: 'reading', done: 0, total: 0 })
  const rows = db
    .prepare(
      `SELECT i.id, i.dup_group, a.current_label, a.original_label, a.state, a.original_state, a.votes, a.soft_label
       FROM images i LEFT JOIN annotations a ON a.image_id = i.id ORDER BY i.id`
    )
    .all() as ImgRow[]
  const preds = new Map<number, Prediction>(readPredictions(db, runId).map((p) => [p.imageId, p]))
  const faces = faceStatuses(db)
  const counts = predictionCounts(db, runId)
  opts.progress?.({ phase: 'reading', done: rows.length, total: rows.length })
  await tick()
  opts.signal?.throwIfAborted()

  const skipped = { noPrediction: 0, unlabelled: 0, classNotInRun: 0 }
  const space: LabelSpace = { C, map, known, useVotes: cfg.useVotes }
  const images: AuditImage[] = rows.map((r) => {
    const { image, skip } = toAuditImage(r, preds.get(r.id) ?? null, space, faces)
    if (skip) skipped[skip]++
    return image
  })
  if (counts.total && counts.outOfSample < counts.total) {
    const share = Math.round((100 * (counts.total - counts.outOfSample)) / counts.total)
    warnings.push(
      `${share}% of the run's predictions are in-sample (scored by a model that trained on them); in-sample probabilities drift towards the given labels, so fewer errors are found than with k-fold scores`
    )
  }
  if (cfg.method === 'poi' && counts.total && ![...preds.values()].some((p) => p.oimSoftT1 || p.oimSoft)) {
    warnings.push(`run ${runId} has no OIM soft labels (a CE run?): the POI method falls back to the TRN probabilities`)
  }

  opts.progress?.({ phase: 'scoring', done: 0, total: images.length })
  const { items, summary } = computeAudit(classes, images, cfg)
  opts.progress?.({ phase: 'scoring', done: images.length, total: images.length })
  await tick()
  opts.signal?.throwIfAborted()

  opts.progress?.({ phase: 'writing', done: 0, total: items.length })
  const full: AuditSummary = {
    version: AUDIT_SUMMARY_VERSION,
    method: cfg.method,
    runId,
    classes: [...classes],
    ...summary,
    skipped,
    predictions: counts,
    faceFlags: faces != null,
    warnings,
    durationMs: 0
  }
  let auditId = 0
  db.transaction(() => {
    auditId = Number(
      db
        .prepare('INSERT INTO audits (run_id, method, created_at, config, summary) VALUES (?, ?, ?, ?, ?)')
        .run(runId, cfg.method, nowIso(), JSON.stringify(cfg), '{}').lastInsertRowid
    )
    const ins = db.prepare(
      `INSERT INTO audit_items (audit_id, image_id, given_label, score, rank, suggested_label, strength, flags, signals, explanation)
       VALUES (?, ?, ?, ?, ?, ?, ?, ?, ?, ?)`
    )
    for (const it of items) {
      ins.run(
        auditId,
        it.imageId,
        it.givenLabel,
        it.score,
        it.rank,
        it.suggestedLabel,
        it.strength,
        it.flags,
        it.signals ? JSON.stringify(round6(it.signals)) : null,
        JSON.stringify(it.explanation)
      )
    }
    full.durationMs = Date.now() - started
    db.prepare('UPDATE audits SET summary = ? WHERE id = ?').run(JSON.stringify(full), auditId)
  }).immediate()
  opts.progress?.({ phase: 'done', done: items.length, total: items.length })
  return auditId
}

// Signals keep 6 decimals (exported for reassess.ts, which writes items the same way) (a flat object: rounding
// in place beats a JSON.stringify replacer).
export function round6(o: ItemSignals): ItemSignals {
  const r = o as Record<string, number | number[] | null | undefined>
  const round = (v: number): number => (Number.isInteger(v) ? v : Math.round(v * 1e6) / 1e6)
  for (const k in r) {
    const v = r[k]
    if (typeof v === 'number') r[k] = round(v)
    else if (Array.isArray(v)) r[k] = v.map(round)
  }
  return o
}

interface AuditRow {
  id: number
  run_id: number | null
  method: 'poi' | 'cl'
  created_at: string
  config: string
  summary: string
}

function toAudit(r: AuditRow): AuditRecord {
  const summary = JSON.parse(r.summary) as AuditSummary
  if (summary.version !== AUDIT_SUMMARY_VERSION) {
    throw new ProjectError(
      'FUTURE_VERSION',
      `audit ${r.id} has summary version ${summary.version}; this build reads ${AUDIT_SUMMARY_VERSION}`
    )
  }
  return {
    id: r.id,
    runId: r.run_id,
    method: r.method,
    createdAt: r.created_at,
    config: resolveAuditConfig(JSON.parse(r.config)),
    summary
  }
}

export function getAudit(db: DB, auditId: number): AuditRecord | null {
  const r = db.prepare('SELECT * FROM audits WHERE id = ?').get(auditId) as AuditRow | undefined
  return r ? toAudit(r) : null
}

/** The newest audit, or null when none ran yet. */
export function latestAudit(db: DB): AuditRecord | null {
  const r = db.prepare('SELECT * FROM audits ORDER BY id DESC LIMIT 1').get() as AuditRow | undefined
  return r ? toAudit(r) : null
}

export function listAudits(db: DB): AuditRecord[] {
  return (db.prepare('SELECT * FROM audits ORDER BY id DESC').all() as AuditRow[]).map(toAudit)
}

export function deleteAudit(db: DB, auditId: number): void {
  db.prepare('DELETE FROM audits WHERE id = ?').run(auditId)
}

/** One audited image as read back. */
export interface AuditItemRecord {
  imageId: number
  /** The label the audit judged, and the label now (they differ once a curator changed it). */
  givenLabel: number | null
  currentLabel: number | null
  score: number | null
  rank: number | null
  suggestedLabel: number | null
  strength: number | null
  flags: FlagName[]
  flagMask: number
  signals: ItemSignals | null
  explanation: Explanation | null
}

/** One audit_items row as stored (flags a bit set, signals and explanation JSON text). */
export interface ItemRow {
  image_id: number
  given_label: number | null
  current_label: number | null
  score: number | null
  rank: number | null
  suggested_label: number | null
  strength: number | null
  flags: number
  signals: string | null
  explanation: string | null
}

function toItem(r: ItemRow): AuditItemRecord {
  return {
    imageId: r.image_id,
    givenLabel: r.given_label,
    currentLabel: r.current_label,
    score: r.score,
    rank: r.rank,
    suggestedLabel: r.suggested_label,
    strength: r.strength,
    flags: flagNames(r.flags),
    flagMask: r.flags,
    signals: r.signals ? (JSON.parse(r.signals) as ItemSignals) : null,
    explanation: r.explanation ? (JSON.parse(r.explanation) as Explanation) : null
  }
}

export interface AuditItemQuery {
  /** Only items with this flag (uses the flag's partial index), or with any actionable flag. */
  flag?: FlagName | 'any'
  /** Only scored items (rank not null). */
  scoredOnly?: boolean
  limit?: number
  offset?: number
}

const ITEM_SELECT = `SELECT ai.*, a.current_label FROM audit_items ai LEFT JOIN annotations a ON a.image_id = ai.image_id`

/** Items of an audit, most suspicious (lowest score) first; unscored items come last. */
export function auditItems(db: DB, auditId: number, q: AuditItemQuery = {}): AuditItemRecord[] {
  const where = ['ai.audit_id = ?']
  // The condition text must match the partial index definition (migration 0040) for SQLite to use it.
  if (q.flag === 'any') where.push('ai.flags != 0')
  else if (q.flag) where.push(`ai.flags & ${FLAG_BITS[q.flag]} != 0`)
  if (q.scoredOnly) where.push('ai.score IS NOT NULL')
  const limit = Math.min(Math.max(q.limit ?? 1_000_000, 0), 1_000_000)
  // With scoredOnly the order is the score index's own; otherwise unscored items are sorted last.
  const order = q.scoredOnly ? 'ai.score, ai.image_id' : 'ai.score IS NULL, ai.score, ai.image_id'
  const sql = `${ITEM_SELECT} WHERE ${where.join(' AND ')} ORDER BY ${order} LIMIT ? OFFSET ?`
  return (db.prepare(sql).all(auditId, limit, Math.max(q.offset ?? 0, 0)) as ItemRow[]).map(toItem)
}

export function getAuditItem(db: DB, auditId: number, imageId: number): AuditItemRecord | null {
  const r = db.prepare(`${ITEM_SELECT} WHERE ai.audit_id = ? AND ai.image_id = ?`).get(auditId, imageId) as
    ItemRow | undefined
  return r ? toItem(r) : null
}

/** The class × flag table of an audit, with how many flagged images a curator has reviewed since. */
export interface AuditSummaryTable {
  auditId: number
  classes: string[]
  flags: FlagName[]
  /** rows[c].counts[f]: items labelled c with flag f; `reviewed` likewise among reviewed images. */
  rows: { label: number | null; name: string; images: number; counts: number[]; reviewed: number[] }[]
  totals: number[]
}

export function auditSummary(db: DB, auditId: number): AuditSummaryTable {
  const audit = getAudit(db, auditId)
  if (!audit) throw new ProjectError('INVALID', `no audit ${auditId}`)
  const cols = FLAG_NAMES.map(
    (n) => `sum(flags & ${FLAG_BITS[n]} != 0), sum(flags & ${FLAG_BITS[n]} != 0 AND r.image_id IS NOT NULL)`
  ).join(', ')
  const rows = db
    .prepare(
      `SELECT given_label, count(*), ${cols} FROM audit_items ai LEFT JOIN reviews r ON r.image_id = ai.image_id
       WHERE audit_id = ? GROUP BY given_label ORDER BY given_label IS NULL, given_label`
    )
    .raw()
    .all(auditId) as (number | null)[][]
  const classes = audit.summary.classes
  const out = rows.map((r) => ({
    label: r[0],
    name: r[0] == null ? '(no label)' : (classes[r[0]] ?? `#${r[0]}`),
    images: r[1] ?? 0,
    counts: FLAG_NAMES.map((_, f) => r[2 + 2 * f] ?? 0),
    reviewed: FLAG_NAMES.map((_, f) => r[3 + 2 * f] ?? 0)
  }))
  const totals = FLAG_NAMES.map((_, f) => out.reduce((s, r) => s + r.counts[f], 0))
  return { auditId, classes, flags: [...FLAG_NAMES], rows: out, totals }
}
