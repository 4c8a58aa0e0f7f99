/**
 * Exports: `exportProject(db, options)` writes one format, atomically, with a versioned manifest.
 * A folder `out` gets the format's files plus manifest.json; for the one-file formats (csv, jsonl,
 * ferplus, labelstudio) an `out` ending in .csv/.jsonl/.json is written as that single file plus
 * `<out>.manifest.json`.
 */
import { resolve } from 'node:path'
import type { DB } from '../store/db'
import { ProjectError } from '../store/errors'
import { latestDoneRun, getRun } from '../store/runs'
import type { AtomicFs } from '../fsutil/atomic'
import type { FormatContext, FormatResult } from './context'
import { collectRows, type ExportScope } from './rows'
import { fileSink, folderSink, type ExportSink } from './sink'
import {
  EXPORT_MANIFEST_FORMAT,
  EXPORT_MANIFEST_VERSION,
  FORMAT_VERSIONS,
  type ExportFormat,
  type ExportManifest,
  type ManifestFile
} from './manifest'
import { writeCsv } from './csv'
import { writeJsonl } from './jsonl'
import { writeFerplus } from './ferplus'
import { writeFolders } from './folders'
import { LS_DEFAULT_PREFIX, writeLabelStudio } from './labelstudio'
import { writeCleanlab } from './cleanlab'

export { recoverExportTarget } from './recover'
export {
  EXPORT_FORMATS,
  FORMAT_VERSIONS,
  verifyExport,
  ExportFormatError,
  type ExportFormat,
  type ExportManifest
} from './manifest'
export { readCsvExport, parseLabelsCsv, CSV_COLUMNS, type CsvLabelRow } from './csv'
export { readJsonlExport, type JsonlRecord } from './jsonl'
export { readFerplusExport, votesFor, FERPLUS_COLUMNS, type FerplusRow } from './ferplus'
export { readFoldersExport } from './folders'
export { readLabelStudioExport, labelConfig, type LabelStudioTask } from './labelstudio'
export { readCleanlabExport } from './cleanlab'
export { encodeNpy, decodeNpy, npyHeader } from './npy'
export type { ExportScope, ExportRow } from './rows'

const APP = { name: 'poi-audit', version: '0.1.0' }

const WRITERS: Record<ExportFormat, (ctx: FormatContext) => Promise<FormatResult>> = {
  csv: writeCsv,
  jsonl: writeJsonl,
  ferplus: writeFerplus,
  folders: writeFolders,
  labelstudio: writeLabelStudio,
  cleanlab: writeCleanlab
}

/** File extensions that select single-file output, per format. */
const SINGLE_EXT: Partial<Record<ExportFormat, RegExp>> = {
  csv: /\.csv$/i,
  jsonl: /\.jsonl?$/i,
  ferplus: /\.csv$/i,
  labelstudio: /\.json$/i
}

export interface ExportProgress {
  phase: 'collecting' | 'writing' | 'committing' | 'done'
  done: number
  total: number
}

export interface ExportOptions {
  format: ExportFormat
  /** Destination folder (or file, for one-file formats; see above). */
  out: string
  scope?: ExportScope
  /** undefined = the latest audit, null = export without audit columns. */
  auditId?: number | null
  /**
   * Predictions for JSONL / Label Studio / cleanlab: undefined = the audit's run, else the newest finished run; null =
   * none.
   */
  runId?: number | null
  /** Replace an existing destination (default: refuse). */
  overwrite?: boolean
  spreadsheetSafe?: boolean
  bom?: boolean
  bySplit?: boolean
  imagePrefix?: string
  probs?: 'trn' | 'oim'
  /** Recorded in the manifest. */
  projectPath?: string | null
  progress?: (e: ExportProgress) => void
  signal?: AbortSignal
  /** For tests: the file-system primitives (fault injection). */
  fs?: AtomicFs
}

export interface ExportResult {
  out: string
  format: ExportFormat
  rows: number
  skipped: Record<string, number>
  files: ManifestFile[]
  manifest: ExportManifest
  seconds: number
  /** What an earlier, interrupted export had left at `out` and what was done (usually empty). */
  recovered: string[]
}

/** Writes one export. Nothing is visible at `out` unless everything (manifest included) was written. */
export async function exportProject(db: DB, o: ExportOptions): Promise<ExportResult> {
  const t0 = performance.now()
  if (!(o.format in WRITERS))
    throw new ProjectError('INVALID', `unknown export format "${o.format}" (known: ${Object.keys(WRITERS).join(', ')})`)
  const out = resolve(o.out)
  const scope = o.scope ?? { kind: 'all' }
  o.progress?.({ phase: 'collecting', done: 0, total: 0 })
  const { rows, classes, audit, datasetRoots } = collectRows(db, scope, o.auditId, o.format === 'jsonl')
  let runId: number | null = null
  if (o.runId != null) {
    if (!getRun(db, o.runId)) throw new ProjectError('INVALID', `no run ${o.runId} in this project`)
    runId = o.runId
  } else if (o.runId === undefined) runId = audit?.runId ?? latestDoneRun(db)?.id ?? null
  const single = SINGLE_EXT[o.format]?.test(out) ?? false
  const sink: ExportSink = single
    ? await fileSink(out, { fs: o.fs, overwrite: o.overwrite, signal: o.signal })
    : await folderSink(out, { fs: o.fs, overwrite: o.overwrite, signal: o.signal })
  const total = rows.length
  const ctx: FormatContext = {
    db,
    rows,
    classes,
    audit,
    runId,
    sink,
    spreadsheetSafe: !!o.spreadsheetSafe,
    bom: !!o.bom,
    bySplit: !!o.bySplit,
    imagePrefix: o.imagePrefix ?? LS_DEFAULT_PREFIX,
    probs: o.probs ?? 'trn',
    signal: o.signal,
    progress: (done) => o.progress?.({ phase: 'writing', done, total }),
    skipped: {}
  }
  let res: FormatResult
  let manifest: ExportManifest | null = null
  let files: ManifestFile[]
  try {
    res = await WRITERS[o.format](ctx)
    o.signal?.throwIfAborted()
    o.progress?.({ phase: 'committing', done: total, total })
    files = await sink.commit((list) => {
      manifest = {
        format: EXPORT_MANIFEST_FORMAT,
        version: EXPORT_MANIFEST_VERSION,
        kind: o.format,
        kindVersion: FORMAT_VERSIONS[o.format],
        createdAt: new Date().toISOString(),
        app: APP,
        project: { path: o.projectPath ?? null, classes, datasetRoots },
        runId,
        auditId: audit?.id ?? null,
        scope: scope.kind === 'ids' ? { kind: 'ids', count: scope.ids.length } : scope,
        rows: res.rows,
        skipped: ctx.skipped,
        options: res.options ?? {},
        files: list
          .map((f) => ({ path: f.path, bytes: f.bytes, sha256: f.sha256 }))
          .sort((a, b) => (a.path < b.path ? -1 : a.path > b.path ? 1 : 0))
      }
      return manifest
    })
  } catch (e) {
    await sink.abort()
    throw e
  }
  o.progress?.({ phase: 'done', done: total, total })
  return {
    out,
    format: o.format,
    rows: res.rows,
    skipped: ctx.skipped,
    files,
    manifest: manifest!,
    seconds: (performance.now() - t0) / 1000,
    recovered: sink.recovered
  }
}
