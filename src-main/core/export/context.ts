/** What every format writer receives, and small helpers they share. */
import type { DB } from '../store/db'
import type { AuditRecord } from '../audit/store'
import type { ExportRow } from './rows'
import type { ExportSink } from './sink'

export interface FormatContext {
  db: DB
  rows: ExportRow[]
  /** The project's class names (label indices index this list). */
  classes: string[]
  audit: AuditRecord | null
  /** The run whose predictions the format uses (JSONL, Label Studio, cleanlab), or null. */
  runId: number | null
  sink: ExportSink
  /** Free-text cells get a leading ' when they start with = + - @ (CSV formats). */
  spreadsheetSafe: boolean
  /** Write a UTF-8 byte-order mark (Excel) in CSV formats. */
  bom: boolean
  /** Folders: `<split>/<class>/…` instead of `<class>/…`. */
  bySplit: boolean
  /** Label Studio: prefix of the image URL (default Label Studio's local-files route). */
  imagePrefix: string
  /** Cleanlab / Label Studio: which distribution is the model's (TRN probabilities or OIM soft label). */
  probs: 'trn' | 'oim'
  signal?: AbortSignal
  /** Called with the number of records written so far. */
  progress(done: number): void
  /** Images left out, by reason (goes to the manifest). */
  skipped: Record<string, number>
}

/** What a writer reports back for the manifest. */
export interface FormatResult {
  rows: number
  options?: Record<string, unknown>
}

export function skip(ctx: FormatContext, reason: string): void {
  ctx.skipped[reason] = (ctx.skipped[reason] ?? 0) + 1
}

/** Reports progress and checks for cancellation every 500 records. */
export function step(ctx: FormatContext, done: number): void {
  if (done % 500 === 0) {
    ctx.signal?.throwIfAborted()
    ctx.progress(done)
  }
}

export function className(classes: readonly string[], idx: number | null): string | null {
  return idx == null ? null : (classes[idx] ?? null)
}
