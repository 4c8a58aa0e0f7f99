/**
 * The import engine: a ParsedSource becomes images, annotations, one label_history row per image,
 * pixel cache rows, thumbnails and duplicate groups — all in ONE transaction, so an import is either
 * entirely in the project or not at all (crash, kill, error or cancel: nothing half-imported).
 *
 * better-sqlite3 transactions cannot span `await`, and decoding is async, so the engine holds a
 * manual `BEGIN IMMEDIATE … COMMIT` around chunks of concurrently decoded files. That is safe because
 * this connection is the project's only writer (the lock file) and nothing else uses the connection
 * while the import runs. Any error or abort → ROLLBACK.
 *
 * Policy for bad files (documented for curators):
 * - listed but missing / not a regular file / over the size cap / already in the project → skipped,
 *   listed in report.skipped, nothing stored;
 * - readable but undecodable (corrupt, truncated, refused format, too many pixels) → imported with
 *   decode_status 'error' and the reason, its label kept, no pixels or thumbnail; listed in
 *   report.decodeErrors. Training and audits use decoded images only.
 */
import { randomUUID } from 'node:crypto'
import { readFileSync } from 'node:fs'
import { CANONICAL_CLASSES, type ClassName } from '../classes'
import type { Project } from '../project'
import { nowIso } from '../store/db'
import { ProjectError } from '../store/errors'
import { ensureDataset, existingPaths, imageInserter, type NewImage } from '../store/images'
import { pixelWriter, thumbnailWriter, type Thumbnail } from '../store/cache'
import type { LabelState } from '../store/labels'
import { ensureClasses } from '../store/meta'
import {
  cachePixels,
  identityFace,
  makeThumbnail,
  runPrepareFace,
  type PrepareFace,
  type PreparedFaceResult
} from './cache-build'
import { decodeImage, DEFAULT_LIMITS, type DecodeLimits } from './decode'
import { assignDuplicateGroups, collectDuplicateGroups, isConflicting, summariseGroups } from './duplicates'
import { hashPixels, sha256Hex } from './hash'
import {
  ImportAbortedError,
  ImportError,
  type DuplicateKind,
  type ImportProgress,
  type ImportReport,
  type ParsedSource,
  type SkippedFile,
  type SourceItem
} from './types'

export interface RunImportOptions {
  progress?: (e: ImportProgress) => void
  signal?: AbortSignal
  /** The face step before the cache resize (default: identity). */
  prepareFace?: PrepareFace
  /** Files decoded at once (default 4). */
  concurrency?: number
  limits?: DecodeLimits
  /** Recorded in label_history.actor (default 'import'). */
  actor?: string
  /** Files decoded and inserted per step (default 256); bounds memory between inserts. */
  chunkSize?: number
  /** Test hook: called after each chunk is inserted (inside the open transaction). */
  onChunk?: (inserted: number) => void
}

type Processed =
  | { kind: 'skip'; reason: string }
  | {
      kind: 'image'
      row: Omit<NewImage, 'datasetId' | 'importId'>
      pixels: Uint8Array | null
      thumb: Thumbnail | null
      uniform: boolean
      store?: PreparedFaceResult['store']
    }

const CHUNK = 256

async function processItem(
  item: SourceItem,
  size: number,
  channels: 1 | 3,
  prepare: PrepareFace,
  limits: DecodeLimits
): Promise<Processed> {
  let bytes: Buffer
  try {
    // Synchronous on purpose: files are small (≤ maxBytes, usually a few KB) and one blocking read
    // costs less than the four thread-pool round trips of fs.promises.readFile, which compete with
    // sharp's decodes for the same libuv threads.
    bytes = readFileSync(item.absPath)
  } catch (e) {
    const code = (e as NodeJS.ErrnoException).code
    return {
      kind: 'skip',
      reason:
        code === 'ENOENT' ? 'file not found (removed during import)' : `cannot read (${code ?? (e as Error).message})`
    }
  }
  const base = {
    relPath: item.relPath,
    sha256: sha256Hex(bytes),
    byteSize: bytes.length,
    split: item.split,
    sourceSplit: item.sourceSplit,
    sourceDupGroup: item.sourceDupGroup ?? null,
    extra: item.extra ?? null
  }
  const d = await decodeImage(bytes, limits)
  if (!d.ok) {
    return {
      kind: 'image',
      row: {
        ...base,
        format: d.format,
        width: null,
        height: null,
        channels: null,
        decodeStatus: 'error',
        decodeError: d.reason,
        pixelHash: null,
        phash: null,
        sig: null
      },
      pixels: null,
      thumb: null,
      uniform: false
    }
  }
  const img = d.image
  const hashes = hashPixels(img)
  const face = await runPrepareFace(prepare, img, { relPath: item.relPath, faceBox: item.faceBox })
  const [pixels, thumb] = await Promise.all([
    cachePixels(face.pixels, size, channels),
    makeThumbnail(bytes, img.format, img)
  ])
  return {
    kind: 'image',
    row: {
      ...base,
      format: img.format,
      width: img.width,
      height: img.height,
      channels: img.channels,
      decodeStatus: 'ok',
      decodeError: null,
      pixelHash: hashes.pixelHash,
      phash: hashes.phash,
      sig: hashes.sig
    },
    pixels,
    thumb,
    uniform: hashes.uniform,
    store: face.store
  }
}

function bump(rec: Record<string, number>, key: string, n = 1): void {
  rec[key] = (rec[key] ?? 0) + n
}

/** Imports a parsed source into an open, writable project, all or nothing. */
export async function runImport(
  project: Project,
  parsed: ParsedSource,
  opts: RunImportOptions = {}
): Promise<ImportReport> {
  if (project.readonly) throw new ProjectError('INVALID', `${project.path} is open read-only; cannot import`)
  const db = project.db
  const t0 = performance.now()
  const startedAt = nowIso()
  const { inputSize, channels } = project.settings()
  const prepare = opts.prepareFace ?? identityFace
  const limits = opts.limits ?? DEFAULT_LIMITS
  const actor = opts.actor ?? 'import'
  const progress = opts.progress ?? (() => {})
  if (opts.signal?.aborted) throw new ImportAbortedError()
  if (db.inTransaction) throw new ProjectError('INVALID', 'an import cannot start inside another transaction')

  // A bigger page cache while the transaction is open keeps SQLite from spilling dirty pages to the
  // WAL mid-import (the default is 2 MB; a FER2013 import writes ~200 MB).
  const cacheSize = db.pragma('cache_size', { simple: true }) as number
  db.pragma('cache_size = -262144')
  db.exec('BEGIN IMMEDIATE')
  try {
    const classes = ensureClasses(db, parsed.classes)
    const classIdx = new Map<ClassName, number>(classes.map((c, i) => [c, i]))
    const datasetId = ensureDataset(db, parsed.root)
    const have = existingPaths(db, datasetId)
    const skipped: SkippedFile[] = [...parsed.skipped]
    const todo: SourceItem[] = []
    for (const it of parsed.items) {
      const prev = have.get(it.relPath)
      if (prev != null)
        skipped.push({ path: it.relPath, reason: `already in the project (import #${prev})`, line: it.line })
      else todo.push(it)
    }
    const importId = Number(
      db
        .prepare(
          'INSERT INTO imports (dataset_id, format, source, started_at, finished_at, report) VALUES (?, ?, ?, ?, ?, ?)'
        )
        .run(datasetId, parsed.format, parsed.source, startedAt, startedAt, '{}').lastInsertRowid
    )
    const batchId = randomUUID()
    const insertImage = imageInserter(db)
    const insAnn = db.prepare(
      `INSERT INTO annotations (image_id, original_label, current_label, state, original_state, votes, updated_at)
       VALUES (?, ?, ?, ?, ?, ?, ?)`
    )
    const insHist = db.prepare(
      `INSERT INTO label_history (image_id, at, actor, source, old_label, new_label, old_state, new_state, reason, batch_id)
       VALUES (?, ?, ?, 'import', NULL, ?, NULL, ?, ?, ?)`
    )
    const writePixels = pixelWriter(db)
    const writeThumb = thumbnailWriter(db)
    const reason = `import #${importId} (${parsed.format}) from ${parsed.source}`
    const at = nowIso()

    const counts = {
      byClass: {} as Record<string, number>,
      bySplit: {} as Record<string, number>,
      bySplitClass: {} as Record<string, Record<string, number>>
    }
    const states: Partial<Record<LabelState, number>> = {}
    const decodeErrors: SkippedFile[] = []
    const uniform: string[] = []
    let imported = 0
    let decoded = 0
    const workers = Math.max(1, opts.concurrency ?? 4)
    progress({ phase: 'decode', done: 0, total: todo.length })

    const chunkSize = Math.max(1, opts.chunkSize ?? CHUNK)
    for (let start = 0; start < todo.length; start += chunkSize) {
      if (opts.signal?.aborted) throw new ImportAbortedError()
      const chunk = todo.slice(start, start + chunkSize)
      const results: Processed[] = new Array(chunk.length)
      let next = 0
      const work = async (): Promise<void> => {
        while (next < chunk.length) {
          if (opts.signal?.aborted) return
          const i = next++
          results[i] = await processItem(chunk[i], inputSize, channels, prepare, limits)
        }
      }
      await Promise.all(Array.from({ length: workers }, work))
      if (opts.signal?.aborted) throw new ImportAbortedError()
      // Insert in source order, so image ids follow the source.
      for (let i = 0; i < chunk.length; i++) {
        const it = chunk[i]
        const r = results[i]
        if (r.kind === 'skip') {
          skipped.push({ path: it.relPath, reason: r.reason, line: it.line })
          continue
        }
        const id = insertImage({ ...r.row, datasetId, importId })
        const label = it.label != null ? (classIdx.get(it.label) ?? null) : null
        let votes: string | null = null
        if (it.votes) {
          const v = new Array<number>(classes.length).fill(0)
          it.votes.forEach((n, k) => {
            const idx = classIdx.get(CANONICAL_CLASSES[k])
            if (idx != null) v[idx] = n
          })
          votes = JSON.stringify(v)
        }
        insAnn.run(id, label, label, it.state, it.state, votes, at)
        insHist.run(id, at, actor, label, it.state, reason, batchId)
        if (r.pixels) writePixels(id, inputSize, channels, r.pixels)
        if (r.thumb) writeThumb(id, r.thumb)
        r.store?.(db, id)
        imported++
        if (r.row.decodeStatus === 'ok') decoded++
        else decodeErrors.push({ path: it.relPath, reason: r.row.decodeError ?? 'undecodable', line: it.line })
        if (r.uniform) uniform.push(it.relPath)
        const key = it.state === 'labeled' && it.label ? it.label : it.state
        const split = it.split ?? 'none'
        bump(counts.byClass, key)
        bump(counts.bySplit, split)
        bump((counts.bySplitClass[split] ??= {}), key)
        states[it.state] = (states[it.state] ?? 0) + 1
      }
      opts.onChunk?.(imported)
      progress({ phase: 'decode', done: Math.min(todo.length, start + chunkSize), total: todo.length })
    }
    if (opts.signal?.aborted) throw new ImportAbortedError()
    if (imported === 0) {
      const why = skipped
        .slice(0, 5)
        .map((s) => `${s.path || `line ${s.line}`}: ${s.reason}`)
        .join('; ')
      throw new ImportError([
        {
          file: parsed.source,
          message: `nothing to import: all ${parsed.items.length + parsed.skipped.length} listed file(s) were skipped${why ? ` (${why}${skipped.length > 5 ? '; …' : ''})` : ''}. Is --root right?`
        }
      ])
    }

    progress({ phase: 'duplicates', done: 0, total: 1 })
    assignDuplicateGroups(db)
    const groups = collectDuplicateGroups(db, importId)
    progress({ phase: 'duplicates', done: 1, total: 1 })
    const kinds = Object.keys(groups) as DuplicateKind[]
    const warnings = [...parsed.warnings]
    if (uniform.length) warnings.push(`${uniform.length} image(s) are blank (every pixel the same value)`)
    if (decodeErrors.length)
      warnings.push(
        `${decodeErrors.length} file(s) could not be decoded; they are kept with decode_status 'error' and will not be trained on`
      )
    const cross = groups.exact.filter((g) => new Set(g.splits).size > 1).length
    if (cross) warnings.push(`${cross} group(s) of identical files span more than one split (train/test leakage)`)

    const report: ImportReport = {
      version: 1,
      importId,
      format: parsed.format,
      source: parsed.source,
      root: parsed.root,
      startedAt,
      finishedAt: nowIso(),
      seconds: 0,
      listed: parsed.items.length + parsed.skipped.length,
      imported,
      decoded,
      countsByClass: counts.byClass,
      countsBySplit: counts.bySplit,
      countsBySplitClass: counts.bySplitClass,
      states,
      classMapping: parsed.classMapping,
      skipped,
      decodeErrors,
      uniform,
      duplicates: Object.fromEntries(kinds.map((k) => [k, summariseGroups(groups[k])])) as ImportReport['duplicates'],
      conflictingGroups: kinds.flatMap((k) => groups[k].filter(isConflicting)),
      groupSample: kinds.flatMap((k) => groups[k].filter((g) => !isConflicting(g)).slice(0, 200)),
      warnings
    }
    progress({ phase: 'commit', done: 0, total: 1 })
    report.seconds = Math.round((performance.now() - t0) / 10) / 100
    db.prepare('UPDATE imports SET finished_at = ?, report = ? WHERE id = ?').run(
      report.finishedAt,
      JSON.stringify(report),
      importId
    )
    if (opts.signal?.aborted) throw new ImportAbortedError()
    db.exec('COMMIT')
    progress({ phase: 'commit', done: 1, total: 1 })
    return report
  } catch (e) {
    if (db.inTransaction) db.exec('ROLLBACK')
    throw e
  } finally {
    db.pragma(`cache_size = ${cacheSize}`)
  }
}
