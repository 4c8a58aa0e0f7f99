/**
 * Image rows: datasets (roots), images and their per-image facts. Writers are used by the importers
 * inside their transaction; readers by info, the cache builder and anyone who needs an image's file.
 */
import { join } from 'node:path'
import type { DB } from './db'
import { nowIso } from './db'

export type DecodeStatus = 'ok' | 'error'

/** An images row as the importers write it (schema 0010 + 0020). */
export interface NewImage {
  datasetId: number
  importId: number
  /** '/'-separated, relative to the dataset root. */
  relPath: string
  sha256: string
  byteSize: number
  format: string | null
  width: number | null
  height: number | null
  /** 1 (gray) or 3 (RGB) after decoding; null when undecodable. */
  channels: number | null
  split: 'train' | 'val' | 'test' | null
  sourceSplit: string | null
  decodeStatus: DecodeStatus
  decodeError: string | null
  pixelHash: string | null
  phash: string | null
  /** 16×16 gray signature (256 bytes). */
  sig: Uint8Array | null
  sourceDupGroup: string | null
  /** JSON-serialisable source columns. */
  extra: Record<string, unknown> | null
}

/** An images row as read back. */
export interface ImageRow {
  id: number
  datasetId: number
  importId: number
  root: string
  relPath: string
  sha256: string
  byteSize: number
  format: string | null
  width: number | null
  height: number | null
  channels: number | null
  split: 'train' | 'val' | 'test' | null
  sourceSplit: string | null
  decodeStatus: DecodeStatus
  decodeError: string | null
  dupGroup: number | null
  nearGroup: number | null
  sourceDupGroup: string | null
  extra: Record<string, unknown> | null
}

/** The datasets row for `root` (a realpath), created when new. */
export function ensureDataset(db: DB, root: string): number {
  const row = db.prepare('SELECT id FROM datasets WHERE root = ?').get(root) as { id: number } | undefined
  if (row) return row.id
  return Number(db.prepare('INSERT INTO datasets (root, added_at) VALUES (?, ?)').run(root, nowIso()).lastInsertRowid)
}

/** A prepared inserter for many images; returns the new image id. */
export function imageInserter(db: DB): (img: NewImage) => number {
  const stmt = db.prepare(
    `INSERT INTO images (dataset_id, rel_path, sha256, byte_size, format, width, height, channels, split, source_split,
       decode_status, decode_error, import_id, pixel_hash, phash, sig, source_dup_group, extra)
     VALUES (?, ?, ?, ?, ?, ?, ?, ?, ?, ?, ?, ?, ?, ?, ?, ?, ?, ?)`
  )
  return (m) =>
    Number(
      stmt.run(
        m.datasetId,
        m.relPath,
        m.sha256,
        m.byteSize,
        m.format,
        m.width,
        m.height,
        m.channels,
        m.split,
        m.sourceSplit,
        m.decodeStatus,
        m.decodeError,
        m.importId,
        m.pixelHash,
        m.phash,
        m.sig ? Buffer.from(m.sig) : null,
        m.sourceDupGroup,
        m.extra ? JSON.stringify(m.extra) : null
      ).lastInsertRowid
    )
}

/** rel_path → import id of every image already stored under a dataset. */
export function existingPaths(db: DB, datasetId: number): Map<string, number> {
  const rows = db.prepare('SELECT rel_path, import_id FROM images WHERE dataset_id = ?').all(datasetId) as {
    rel_path: string
    import_id: number
  }[]
  return new Map(rows.map((r) => [r.rel_path, r.import_id]))
}

interface RawImageRow {
  id: number
  dataset_id: number
  import_id: number
  root: string
  rel_path: string
  sha256: string
  byte_size: number
  format: string | null
  width: number | null
  height: number | null
  channels: number | null
  split: 'train' | 'val' | 'test' | null
  source_split: string | null
  decode_status: DecodeStatus
  decode_error: string | null
  dup_group: number | null
  near_group: number | null
  source_dup_group: string | null
  extra: string | null
}

const SELECT = `SELECT i.id, i.dataset_id, i.import_id, d.root, i.rel_path, i.sha256, i.byte_size, i.format, i.width, i.height,
  i.channels, i.split, i.source_split, i.decode_status, i.decode_error, i.dup_group, i.near_group, i.source_dup_group, i.extra
  FROM images i JOIN datasets d ON d.id = i.dataset_id`

function toRow(r: RawImageRow): ImageRow {
  return {
    id: r.id,
    datasetId: r.dataset_id,
    importId: r.import_id,
    root: r.root,
    relPath: r.rel_path,
    sha256: r.sha256,
    byteSize: r.byte_size,
    format: r.format,
    width: r.width,
    height: r.height,
    channels: r.channels,
    split: r.split,
    sourceSplit: r.source_split,
    decodeStatus: r.decode_status,
    decodeError: r.decode_error,
    dupGroup: r.dup_group,
    nearGroup: r.near_group,
    sourceDupGroup: r.source_dup_group,
    extra: r.extra ? (JSON.parse(r.extra) as Record<string, unknown>) : null
  }
}

export function getImage(db: DB, id: number): ImageRow | null {
  const r = db.prepare(`${SELECT} WHERE i.id = ?`).get(id) as RawImageRow | undefined
  return r ? toRow(r) : null
}

export interface ImageQuery {
  importId?: number
  decoded?: boolean
  split?: 'train' | 'val' | 'test' | null
}

/** Image rows in id order, filtered. */
export function listImages(db: DB, q: ImageQuery = {}): ImageRow[] {
  const where: string[] = []
  const args: unknown[] = []
  if (q.importId != null) {
    where.push('i.import_id = ?')
    args.push(q.importId)
  }
  if (q.decoded != null) where.push(q.decoded ? "i.decode_status = 'ok'" : "i.decode_status = 'error'")
  if (q.split !== undefined) {
    if (q.split === null) where.push('i.split IS NULL')
    else {
      where.push('i.split = ?')
      args.push(q.split)
    }
  }
  const sql = `${SELECT} ${where.length ? 'WHERE ' + where.join(' AND ') : ''} ORDER BY i.id`
  return (db.prepare(sql).all(...args) as RawImageRow[]).map(toRow)
}

/** The absolute path of an image's source file (as recorded at import; the file may have moved since). */
export function imageFile(row: Pick<ImageRow, 'root' | 'relPath'>): string {
  return join(row.root, ...row.relPath.split('/'))
}
