/** images.detail: everything the review pane shows for one image, in one call. */
import type { DB } from '../../store/db'
import { getClasses } from '../../store/meta'
import { getAnnotation } from '../../store/labels'
import { getPrediction, getRun } from '../../store/runs'
import { flagNames } from '../../audit/flags'
import type { AuditView, FaceView, ImageDetail, ImageInfo, LabelState } from '../contract'
import { hasTable } from '../session'
import { ApiFailure } from '../errors'
import type { ReadContext } from './context'
import { listHistoryPage } from './history'
import { predictionView } from './prediction'
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
  const f = db.prepare('SELECT status, faces_found, det_score, box, landmarks FROM faces WHERE image_id = ?').get(imageId) as
    | { status: string; faces_found: number; det_score: number | null; box: string | null; landmarks: string | null }
    | undefined
  if (!f) return null
  const box = json.read(f.box, 'face.box')
  const lm = json.read(f.landmarks, 'face.landmarks')
  return {
    status: f.status,
    facesFound: f.faces_found,
    box: Array.isArray(box) && box.length === 4 && box.every((x) => typeof x === 'number') ? (box as FaceView['box']) : null,
    detectorScore: f.det_score,
    landmarks: Array.isArray(lm) ? (lm as [number, number][]) : null
  }
}

/** One image's detail; stored JSON that no longer parses is logged through `log` and listed in `damaged`. */
export function imageDetail(db: DB, ctx: ReadContext, imageId: number, log: (msg: string) => void = () => {}): ImageDetail {
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
    const a = db
      .prepare('SELECT score, rank, suggested_label, strength, flags, explanation FROM audit_items WHERE audit_id = ? AND image_id = ?')
      .get(ctx.auditId, imageId) as
      | { score: number | null; rank: number | null; suggested_label: number | null; strength: number | null; flags: number; explanation: string | null }
      | undefined
    if (a) {
      audit = {
        auditId: ctx.auditId,
        runId: ctx.runId,
        score: a.score,
        rank: a.rank,
        suggestedLabel: a.suggested_label,
        strength: a.strength,
        flags: flagNames(a.flags),
        explanation: json.read(a.explanation, 'audit.explanation')
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
    ...damagedField(json)
  }
}
