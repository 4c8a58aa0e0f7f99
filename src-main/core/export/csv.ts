/**
 * The labels CSV: `path,label,split,original_label,state,changed_by,changed_at,flags,score,suggested_label,
 * consensus_label,consensus_quality`. `label` is the current label's class name, so the project's CSV
 * importer reads it back as the label. `flags` are audit flag names joined by '|'; `score` is the audit's
 * label-quality score (lower = more likely wrong). The consensus columns are filled for images with
 * annotator votes (export/consensus.ts; version 2 added them). Free text (path, changed_by) is escaped only
 * in spreadsheet-safe mode.
 */
import { readFile } from 'node:fs/promises'
import { parse } from 'csv-parse/sync'
import { flagNames } from '../audit/flags'
import { className, step, type FormatContext, type FormatResult } from './context'
import { csvLine, num6, spreadsheetSafe, unSpreadsheetSafe } from './csvutil'
import { ExportFormatError, verifyExport, type ExportManifest } from './manifest'
import { consensusManifest, exportConsensus } from './consensus'

export const CSV_COLUMNS = [
  'path',
  'label',
  'split',
  'original_label',
  'state',
  'changed_by',
  'changed_at',
  'flags',
  'score',
  'suggested_label',
  'consensus_label',
  'consensus_quality'
] as const
export const CSV_FILE = 'labels.csv'

export async function writeCsv(ctx: FormatContext): Promise<FormatResult> {
  const f = await ctx.sink.open(CSV_FILE)
  const safe = (s: string | null): string | null => (ctx.spreadsheetSafe ? spreadsheetSafe(s) : s)
  let chunk = (ctx.bom ? '\ufeff' : '') + csvLine(CSV_COLUMNS)
  const consensus = await exportConsensus(ctx)
  let n = 0
  for (const r of ctx.rows) {
    const cons = consensus?.byImage.get(r.imageId)
    chunk += csvLine([
      safe(r.path),
      className(ctx.classes, r.label),
      r.split,
      className(ctx.classes, r.originalLabel),
      r.state,
      safe(r.changedBy),
      r.changedAt,
      r.audit ? flagNames(r.audit.flags).join('|') : '',
      num6(r.audit?.score),
      className(ctx.classes, r.audit?.suggested ?? null),
      className(ctx.classes, cons?.label ?? null),
      num6(cons?.quality)
    ])
    if (chunk.length > 1 << 16) {
      await f.write(chunk)
      chunk = ''
    }
    step(ctx, ++n)
  }
  await f.write(chunk)
  await f.finish()
  return {
    rows: n,
    options: { spreadsheetSafe: ctx.spreadsheetSafe, bom: ctx.bom, consensus: consensusManifest(consensus) }
  }
}

/** One row of a labels CSV as read back (empty cells → null). */
export interface CsvLabelRow {
  path: string
  label: string | null
  split: string | null
  originalLabel: string | null
  state: string
  changedBy: string | null
  changedAt: string | null
  flags: string[]
  score: number | null
  suggestedLabel: string | null
  consensusLabel: string | null
  consensusQuality: number | null
}

/** Parses labels-CSV text; `line` numbers in errors count the header as line 1. */
export function parseLabelsCsv(text: string, opts: { spreadsheetSafe?: boolean; name?: string } = {}): CsvLabelRow[] {
  const name = opts.name ?? 'labels CSV'
  let records: string[][]
  try {
    records = parse(text, { bom: true, relax_column_count: false, skip_empty_lines: true }) as string[][]
  } catch (e) {
    throw new ExportFormatError(`${name}: ${(e as Error).message}`)
  }
  const header = records[0] ?? []
  if (header.join(',') !== CSV_COLUMNS.join(',')) {
    throw new ExportFormatError(
      `${name}: line 1 has columns "${header.join(',')}", expected "${CSV_COLUMNS.join(',')}"`
    )
  }
  const un = (s: string): string => (opts.spreadsheetSafe ? unSpreadsheetSafe(s) : s)
  const orNull = (s: string): string | null => (s === '' ? null : s)
  const number = (c: string[], k: number, i: number): number | null => {
    const v = c[k] === '' ? null : Number(c[k])
    if (v != null && !Number.isFinite(v))
      throw new ExportFormatError(`${name}: line ${i + 2}: ${CSV_COLUMNS[k]} "${c[k]}" is not a number`)
    return v
  }
  return records.slice(1).map((c, i) => {
    const score = number(c, 8, i)
    return {
      path: un(c[0]),
      label: orNull(c[1]),
      split: orNull(c[2]),
      originalLabel: orNull(c[3]),
      state: c[4],
      changedBy: orNull(un(c[5])),
      changedAt: orNull(c[6]),
      flags: c[7] ? c[7].split('|') : [],
      score,
      suggestedLabel: orNull(c[9]),
      consensusLabel: orNull(c[10]),
      consensusQuality: number(c, 11, i)
    }
  })
}

/** Verifies a CSV export (manifest, hashes) and reads its rows. */
export async function readCsvExport(target: string): Promise<{ manifest: ExportManifest; rows: CsvLabelRow[] }> {
  const v = await verifyExport(target, 'csv')
  const text = await readFile(v.files[0], 'utf8')
  return {
    manifest: v.manifest,
    rows: parseLabelsCsv(text, { spreadsheetSafe: !!v.manifest.options.spreadsheetSafe, name: v.files[0] })
  }
}
