/** images.detail: everything the review pane shows for one image, in one call. */
import type { DB } from '../../store/db'
import { getClasses } from '../../store/meta'
import { getAnnotation } from '../../store/labels'
import { getPrediction, getRun } from '../../store/runs'
import { flagNames } from '../../audit/flags'
import { getAudit, type AuditRecord, type ItemRow } from '../../audit/store'
import type { ItemSignals } from '../../audit/engine'
import type { AuditRowFields, AuditView, FaceView, ImageDetail, ImageInfo, LabelState } from '../contract'
import { hasTable } from '../session'
import { ApiFailure } from '../errors'
import type { ReadContext } from './context'
import { listHistoryPage } from './history'
import { predictionView } from './prediction'
import { imageConsensus } from './consensus'
import { damagedField, storedJsonReader, type StoredJsonReader } from '../stored-json'

interface ImageRow {
  id: number
  dataset_id: number
  rel_path: string
  format: string | null
  width: number | null
  height: number | null
  channels: number | null
  byte_size: number
  sha256: string
  split: ImageInfo['split']
  source_split: string | null
  decode_status: 'ok' | 'error'
  decode_error: string | null
  dup_group: number | null
}

/** The aligner's row (migration 0030), when the project has the table and the image went through it. */
function faceView(db: DB, imageId: number, json: StoredJsonReader): FaceView | null {
  if (!hasTable(db, 'faces')) return null
  const f = db
    .prepare('SELECT status, faces_found, det_score, box, landmarks FROM faces WHERE image_id = ?')
    .get(imageId) as
    | { status: string; faces_found: number; det_score: number | null; box: string | null; landmarks: string | null }
    | undefined
  if (!f) return null
  const box = json.read(f.box, 'face.box')
  const lm = json.read(f.landmarks, 'face.landmarks')
  return {
    status: f.status,
    facesFound: f.faces_found,
    box:
      Array.isArray(box) && box.length === 4 && box.every((x) => typeof x === 'number')
        ? (box as FaceView['box'])
        : null,
    detectorScore: f.det_score,
    landmarks: Array.isArray(lm) ? (lm as [number, number][]) : null
  }
}

/** Parsed audit records by id (an audit never changes once written; a few ids live at a time). */
const auditCache = new Map<string, AuditRecord | null>()
function cachedAudit(db: DB, auditId: number): AuditRecord | null {
  const key = `${db.name}#${auditId}`
  if (!auditCache.has(key)) {
    if (auditCache.size > 8) auditCache.clear()
    auditCache.set(key, getAudit(db, auditId))
  }
  return auditCache.get(key) ?? null
}

const pct = (v: number): string => `${Math.round(v * 100)} %`

/** The ambiguous flag's reason from the item's signals and the audit's cut-offs (engine.ts). */
function ambiguousWhy(rec: AuditRecord | null, sig: ItemSignals | null): string {
  const parts: string[] = []
  const cut = rec?.summary.confidenceCutAmbiguous
  if (sig?.uemConfidence != null && cut != null && sig.uemConfidence < cut) {
    parts.push(
      `the four face regions disagree: UEM confidence ${pct(sig.uemConfidence)} is below the audit's cut-off ${pct(cut)}`
    )
  }
  const flat = rec?.config.ambiguous.flatEntropy
  const usesFlat = rec?.config.ambiguous.mode !== 'confidence'
  if (usesFlat && sig?.softEntropy != null && flat != null && sig.softEntropy >= flat) {
    parts.push(
      `the soft label is flat: its entropy is ${pct(sig.softEntropy)} of the maximum (cut-off ${pct(flat)}), so no class clearly wins even where the regions agree`
    )
  }
  return parts.length ? `Ambiguous because ${parts.join('; and ')}.` : 'Ambiguous (reason not recorded by this audit).'
}

/** The stored audit item's columns this module reads. */
type AuditItemRow = Omit<ItemRow, 'image_id' | 'current_label'>

function readAuditItem(db: DB, auditId: number, imageId: number): AuditItemRow | undefined {
  return db
    .prepare(
      'SELECT given_label, score, rank, suggested_label, strength, flags, signals, explanation FROM audit_items WHERE audit_id = ? AND image_id = ?'
    )
    .get(auditId, imageId) as AuditItemRow | undefined
}

/** One image's queue fields from the current audit (what a decision's re-judge changed); null without a row. */
export function auditRowFields(db: DB, ctx: ReadContext, imageId: number): AuditRowFields | null {
  const a = ctx.auditId == null ? undefined : readAuditItem(db, ctx.auditId, imageId)
  if (!a) return null
  return { suggested: a.suggested_label, strength: a.strength, score: a.score, rank: a.rank, flags: flagNames(a.flags) }
}

/** One image's detail; stored JSON that no longer parses is logged through `log` and listed in `damaged`. */
export function imageDetail(
  db: DB,
  ctx: ReadContext,
  imageId: number,
  log: (msg: string) => void = () => {}
): ImageDetail {
  const json = storedJsonReader(`image ${imageId}`, log)
  const img = db.prepare('SELECT * FROM images WHERE id = ?').get(imageId) as ImageRow | undefined
  if (!img) throw new ApiFailure('NOT_FOUND', `no image ${imageId} in this project`)
  const classes = getClasses(db)
  const ann = getAnnotation(db, imageId)
  const duplicates =
    img.dup_group == null
      ? []
      : (db
          .prepare(
            `SELECT i.id AS imageId, a.current_label AS currentLabel, coalesce(a.state, 'unlabeled') AS state
             FROM images i LEFT JOIN annotations a ON a.image_id = i.id
             WHERE i.dup_group = ? AND i.id != ? ORDER BY i.id LIMIT 50`
          )
          .all(img.dup_group, imageId) as { imageId: number; currentLabel: number | null; state: LabelState }[])

  let prediction: ImageDetail['prediction'] = null
  if (ctx.runId != null) {
    const run = getRun(db, ctx.runId)
    const p = run ? getPrediction(db, ctx.runId, imageId) : null
    if (run && p) prediction = predictionView(ctx.runId, p, run.classes, classes)
  }

  let audit: AuditView | null = null
  if (ctx.auditId != null) {
    const a = readAuditItem(db, ctx.auditId, imageId)
    if (a) {
      const rec = cachedAudit(db, ctx.auditId)
      const sig = json.read(a.signals, 'audit.signals') as ItemSignals | null
      const flags = flagNames(a.flags)
      audit = {
        auditId: ctx.auditId,
        runId: ctx.runId,
        score: a.score,
        rank: a.rank,
        suggestedLabel: a.suggested_label,
        strength: a.strength,
        flags,
        explanation: json.read(a.explanation, 'audit.explanation'),
        evidence: Array.isArray(sig?.evidence) ? sig.evidence : null,
        softWeight: rec?.method === 'poi' ? rec.config.score.softWeight : null,
        auditedLabel: a.given_label,
        ambiguousWhy: flags.includes('ambiguous') ? ambiguousWhy(rec, sig) : null,
        mislabeledCut: rec?.summary.mislabeledCut ?? null,
        ranked: rec?.summary.scored ?? 0
      }
    }
  }

  return {
    classes,
    image: {
      id: img.id,
      datasetId: img.dataset_id,
      relPath: img.rel_path,
      format: img.format,
      width: img.width,
      height: img.height,
      channels: img.channels,
      byteSize: img.byte_size,
      sha256: img.sha256,
      split: img.split,
      sourceSplit: img.source_split,
      decodeStatus: img.decode_status,
      decodeError: img.decode_error,
      dupGroup: img.dup_group,
      duplicates
    },
    annotation: ann ?? {
      imageId,
      originalLabel: null,
      currentLabel: null,
      state: 'unlabeled',
      originalState: 'unlabeled',
      votes: null,
      softLabel: null,
      review: null,
      updatedAt: ''
    },
    prediction,
    audit,
    face: faceView(db, imageId, json),
    history: listHistoryPage(db, { imageId, limit: 50 }).entries,
    consensus: imageConsensus(db, ctx, imageId, log),
    ...damagedField(json)
  }
}
