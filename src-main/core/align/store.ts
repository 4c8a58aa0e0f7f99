import type { Database } from 'better-sqlite3'
import type { AlignMode, AlignResult, AlignStatus } from './align'
import type { Affine, Point } from './geometry'
import type { Box } from './landmarks'

/** Statuses stored in the `faces` table (migration 0030); 'skipped' (mode never) is never stored. */
export type StoredFaceStatus = Exclude<AlignStatus, 'skipped'>
export const STORED_FACE_STATUSES: readonly StoredFaceStatus[] = [
  'aligned',
  'already-aligned',
  'no-face',
  'several-faces',
  'low-score'
]

/** One `faces` row, parsed. Geometry in source pixels (see migration 0030). */
export interface FaceRecord {
  imageId: number
  status: StoredFaceStatus
  mode: Exclude<AlignMode, 'never'>
  detScore: number | null
  box: Box | null
  landmarks: Point[] | null
  transform: Affine | null
  outSize: number | null
  facesFound: number
  chosenIndex: number | null
  detector: string | null
  updatedAt: string
}

interface Row {
  image_id: number
  status: string
  mode: string
  det_score: number | null
  box: string | null
  landmarks: string | null
  transform: string | null
  out_size: number | null
  faces_found: number
  chosen_index: number | null
  detector: string | null
  updated_at: string
}

const r2 = (v: number) => Math.round(v * 100) / 100

/**
 * Inserts or replaces the face record of an image. Call inside the importer's transaction (synchronous,
 * no await). Returns false (and writes nothing) for 'skipped' results.
 */
export function saveFace(
  db: Database,
  imageId: number,
  r: AlignResult,
  mode: AlignMode,
  outSize: number | null,
  at: string
): boolean {
  if (r.status === 'skipped' || mode === 'never') return false
  db.prepare(
    `INSERT OR REPLACE INTO faces (image_id, status, mode, det_score, box, landmarks, transform, out_size, faces_found, chosen_index, detector, updated_at)
     VALUES (?, ?, ?, ?, ?, ?, ?, ?, ?, ?, ?, ?)`
  ).run(
    imageId,
    r.status,
    mode,
    r.detScore,
    r.box ? JSON.stringify([r2(r.box.x), r2(r.box.y), r2(r.box.width), r2(r.box.height)]) : null,
    r.landmarks ? JSON.stringify(r.landmarks.map((p) => [r2(p.x), r2(p.y)])) : null,
    r.transform ? JSON.stringify(r.transform) : null,
    r.transform ? outSize : null,
    r.facesFound,
    r.chosenIndex,
    r.detector,
    at
  )
  return true
}

function parseJson<T>(text: string | null, imageId: number, column: string, check: (v: unknown) => boolean): T | null {
  if (text === null) return null
  let v: unknown
  try {
    v = JSON.parse(text)
  } catch {
    throw new Error(`faces row for image ${imageId}: column ${column} is not JSON: ${text.slice(0, 80)}`)
  }
  if (!check(v))
    throw new Error(`faces row for image ${imageId}: column ${column} has an unexpected shape: ${text.slice(0, 80)}`)
  return v as T
}

const numArray = (n: number) => (v: unknown) =>
  Array.isArray(v) && v.length === n && v.every((x) => typeof x === 'number' && Number.isFinite(x))

function fromRow(row: Row): FaceRecord {
  const id = row.image_id
  const box = parseJson<number[]>(row.box, id, 'box', numArray(4))
  const lm = parseJson<number[][]>(
    row.landmarks,
    id,
    'landmarks',
    (v) => Array.isArray(v) && (v.length === 68 || v.length === 5) && v.every(numArray(2))
  )
  return {
    imageId: id,
    status: row.status as StoredFaceStatus,
    mode: row.mode as FaceRecord['mode'],
    detScore: row.det_score,
    box: box ? { x: box[0], y: box[1], width: box[2], height: box[3] } : null,
    landmarks: lm ? lm.map(([x, y]) => ({ x, y })) : null,
    transform: parseJson<Affine>(row.transform, id, 'transform', numArray(6)),
    outSize: row.out_size,
    facesFound: row.faces_found,
    chosenIndex: row.chosen_index,
    detector: row.detector,
    updatedAt: row.updated_at
  }
}

export function getFace(db: Database, imageId: number): FaceRecord | null {
  const row = db.prepare('SELECT * FROM faces WHERE image_id = ?').get(imageId) as Row | undefined
  return row ? fromRow(row) : null
}

/** Count per status (every stored status present, zero when none), for the project or one import. */
export function faceStatusCounts(db: Database, importId?: number): Record<StoredFaceStatus, number> {
  const out = Object.fromEntries(STORED_FACE_STATUSES.map((s) => [s, 0])) as Record<StoredFaceStatus, number>
  const rows = (
    importId === undefined
      ? db.prepare('SELECT status, count(*) AS n FROM faces GROUP BY status').all()
      : db
          .prepare(
            'SELECT f.status, count(*) AS n FROM faces f JOIN images i ON i.id = f.image_id WHERE i.import_id = ? GROUP BY f.status'
          )
          .all(importId)
  ) as { status: StoredFaceStatus; n: number }[]
  for (const r of rows) out[r.status] = r.n
  return out
}

/**
 * Image ids a curator should look at: no face found, several faces (the largest was used), or a weak
 * detection. Uses the partial index `faces_flagged`.
 */
export function flaggedFaces(db: Database): { imageId: number; status: StoredFaceStatus }[] {
  return db
    .prepare(
      "SELECT image_id AS imageId, status FROM faces WHERE status IN ('no-face', 'several-faces', 'low-score') ORDER BY image_id"
    )
    .all() as { imageId: number; status: StoredFaceStatus }[]
}

/** One line for the CLI: "faces: 209 aligned, 3 already aligned, 1 low score, 0 no face, 0 several faces". */
export function faceSummaryLine(counts: Record<StoredFaceStatus, number>): string {
  return `faces: ${counts.aligned} aligned, ${counts['already-aligned']} already aligned, ${counts['no-face']} no face, ${counts['several-faces']} several faces, ${counts['low-score']} low score`
}
