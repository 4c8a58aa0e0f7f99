/**
 * FERPlus-style vote CSV (microsoft/FERPlus fer2013new.csv): `Usage,Image name,neutral,happiness,
 * surprise,sadness,anger,disgust,fear,contempt,unknown,NF`, ten votes per image. Votes come from
 * (first match wins):
 *   state not_face → NF 10; state unknown → unknown 10;
 *   a curator soft label (state ambiguous) → soft × 10, rounded keeping the total at 10;
 *   a curator change (label or state differs from the import) → the current label × 10 (a FERPlus reader
 *     takes the majority: the annotators' counts would outvote the correction);
 *   annotator votes (table annotator_votes) → their counts per class, plus one vote per curator whose
 *     latest decision names a class (on an unchanged image: a confirmation); these replace the source's
 *     anonymous votes where an image has both (the same crowd may be in both; version 2);
 *   source votes (FERPlus) → as imported (probabilities are scaled to 10);
 *   otherwise → the current label × 10.
 * Rows from annotator votes sum to the number of votes, not to 10.
 * Unlabelled and excluded images are left out. Classes the project lacks get 0 votes.
 */
import { readFile } from 'node:fs/promises'
import { parse } from 'csv-parse/sync'
import { CANONICAL_CLASSES } from '../classes'
import { roundPreservingSum } from '../audit/cl'
import { skip, step, type FormatContext, type FormatResult } from './context'
import { csvLine, spreadsheetSafe, unSpreadsheetSafe } from './csvutil'
import { ExportFormatError, verifyExport, type ExportManifest } from './manifest'
import { isChanged, type ExportRow } from './rows'
import { annotatorCounts } from './consensus'

export const FERPLUS_COLUMNS = ['Usage', 'Image name', ...CANONICAL_CLASSES, 'unknown', 'NF'] as const
export const FERPLUS_FILE = 'fer2013new.csv'
const USAGE: Record<string, string> = { train: 'Training', val: 'PublicTest', test: 'PrivateTest' }
const SOURCE_USAGES = new Set(['Training', 'PublicTest', 'PrivateTest'])

export type VoteSource = 'state' | 'soft' | 'curator' | 'annotators' | 'votes' | 'label'

/**
 * Votes over the 8 canonical classes + unknown + NF for one row (ten, or the annotators' count), and where
 * they came from; null = leave out. `annotatorCounts`: the image's annotator (and curator) votes per
 * project class, if it has any.
 */
export function votesFor(
  r: ExportRow,
  classes: readonly string[],
  annotatorCounts: readonly number[] | null = null
): { votes: number[]; source: VoteSource } | null {
  const out = new Array<number>(CANONICAL_CLASSES.length + 2).fill(0)
  const col = (k: number): number => CANONICAL_CLASSES.indexOf(classes[k] as (typeof CANONICAL_CLASSES)[number])
  const spread = (dist: readonly number[]): number[] | null => {
    const s = dist.reduce((a, b) => a + b, 0)
    if (!(s > 0) || dist.some((v) => !(v >= 0))) return null
    return roundPreservingSum(dist.map((v) => (v / s) * 10))
  }
  if (r.state === 'not_face' || r.state === 'unknown') {
    out[r.state === 'unknown' ? out.length - 2 : out.length - 1] = 10
    return { votes: out, source: 'state' }
  }
  if (r.state !== 'labeled' && r.state !== 'ambiguous') return null
  if (r.state === 'ambiguous' && r.softLabel && r.softLabel.length === classes.length) {
    const v = spread(r.softLabel)
    if (v) {
      v.forEach((x, k) => col(k) >= 0 && (out[col(k)] += x))
      return { votes: out, source: 'soft' }
    }
  }
  if (r.label == null || col(r.label) < 0) return null
  if (!isChanged(r) && annotatorCounts && annotatorCounts.some((x) => x > 0)) {
    annotatorCounts.forEach((x, k) => col(k) >= 0 && (out[col(k)] += x))
    return { votes: out, source: 'annotators' }
  }
  if (!isChanged(r) && r.votes && r.votes.length === classes.length) {
    const total = r.votes.reduce((a, b) => a + b, 0)
    const v = total <= 1.0001 ? spread(r.votes) : r.votes.map((x) => Math.round(x))
    if (v) {
      v.forEach((x, k) => col(k) >= 0 && (out[col(k)] += x))
      return { votes: out, source: 'votes' }
    }
  }
  out[col(r.label)] = 10
  return { votes: out, source: isChanged(r) ? 'curator' : 'label' }
}

export async function writeFerplus(ctx: FormatContext): Promise<FormatResult> {
  const f = await ctx.sink.open(FERPLUS_FILE)
  let chunk = (ctx.bom ? '\ufeff' : '') + csvLine(FERPLUS_COLUMNS)
  const sources: Record<VoteSource, number> = { state: 0, soft: 0, curator: 0, annotators: 0, votes: 0, label: 0 }
  const counts = annotatorCounts(ctx)
  let n = 0
  for (const r of ctx.rows) {
    const v = votesFor(r, ctx.classes, counts?.get(r.imageId) ?? null)
    if (!v) {
      skip(ctx, r.state === 'labeled' || r.state === 'ambiguous' ? 'classNotInFerplus' : r.state)
      continue
    }
    sources[v.source]++
    const usage =
      r.sourceSplit && SOURCE_USAGES.has(r.sourceSplit) ? r.sourceSplit : (USAGE[r.split ?? 'train'] ?? 'Training')
    chunk += csvLine([usage, ctx.spreadsheetSafe ? spreadsheetSafe(r.path) : r.path, ...v.votes])
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
    options: {
      voteSources: sources,
      spreadsheetSafe: ctx.spreadsheetSafe,
      bom: ctx.bom,
      /** Images with annotator votes in the project (null: none). */
      annotatorVoteImages: counts ? counts.size : null
    }
  }
}

export interface FerplusRow {
  usage: string
  imageName: string
  /** 10 values: the 8 canonical classes, unknown, NF (vote counts). */
  votes: number[]
}

/** Verifies a FERPlus export and reads it back. */
export async function readFerplusExport(target: string): Promise<{ manifest: ExportManifest; rows: FerplusRow[] }> {
  const v = await verifyExport(target, 'ferplus')
  const records = parse(await readFile(v.files[0], 'utf8'), { bom: true, skip_empty_lines: true }) as string[][]
  if ((records[0] ?? []).join(',') !== FERPLUS_COLUMNS.join(','))
    throw new ExportFormatError(`${v.files[0]}: line 1 is not the FERPlus header`)
  return {
    manifest: v.manifest,
    rows: records.slice(1).map((c, i) => {
      const votes = c.slice(2).map(Number)
      if (votes.length !== 10 || votes.some((x) => !Number.isInteger(x)))
        throw new ExportFormatError(`${v.files[0]}: line ${i + 2} has bad vote counts`)
      return { usage: c[0], imageName: v.manifest.options.spreadsheetSafe ? unSpreadsheetSafe(c[1]) : c[1], votes }
    })
  }
}
