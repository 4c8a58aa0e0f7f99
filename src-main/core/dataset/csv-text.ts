/**
 * Reading annotation files strictly: bytes → text (BOM-aware, UTF-8 validated), delimiter sniffing
 * among , ; tab (and Excel's `sep=;` first line), csv-parse with line numbers. Ragged rows are not
 * parser errors here: they come back with their line so the importer can collect every bad row and
 * refuse the import with all of them at once.
 */
import { readFileSync, statSync } from 'node:fs'
import { parse } from 'csv-parse/sync'
import { ImportError } from './types'

/** Largest annotation file we read (bytes); AffectNet's training.csv with landmarks is ~250 MB. */
export const MAX_ANNOTATION_BYTES = 1024 * 1024 * 1024
/** Largest single record (characters); a 10 MB "field" is an attack or a wrong file, not a row. */
export const MAX_RECORD_CHARS = 1024 * 1024

/** Decodes an annotation file: UTF-8 (with or without BOM) or UTF-16 with a BOM. */
export function readTextFile(file: string): string {
  const size = statSync(file).size
  if (size > MAX_ANNOTATION_BYTES) {
    throw new ImportError([{ file, message: `annotation file too large (${size} bytes > ${MAX_ANNOTATION_BYTES})` }])
  }
  const bytes = readFileSync(file)
  if (bytes.length >= 2 && bytes[0] === 0xff && bytes[1] === 0xfe)
    return new TextDecoder('utf-16le').decode(bytes.subarray(2))
  if (bytes.length >= 2 && bytes[0] === 0xfe && bytes[1] === 0xff)
    return new TextDecoder('utf-16be').decode(bytes.subarray(2))
  const body =
    bytes.length >= 3 && bytes[0] === 0xef && bytes[1] === 0xbb && bytes[2] === 0xbf ? bytes.subarray(3) : bytes
  try {
    return new TextDecoder('utf-8', { fatal: true }).decode(body)
  } catch {
    // Name the line of the first undecodable byte so the user can find it (likely a windows-1252 export).
    const lossy = new TextDecoder('utf-8').decode(body)
    const at = lossy.indexOf('\ufffd')
    const line = at < 0 ? undefined : lossy.slice(0, at).split(/\r\n|\n|\r/).length
    throw new ImportError([
      { file, line, message: 'not valid UTF-8; save the file as UTF-8 (e.g. "CSV UTF-8" in Excel)' }
    ])
  }
}

/** Counts a character outside double-quoted sections of one line. */
function countOutsideQuotes(line: string, ch: string): number {
  let n = 0
  let quoted = false
  for (const c of line) {
    if (c === '"') quoted = !quoted
    else if (c === ch && !quoted) n++
  }
  return n
}

export interface CsvLayout {
  delimiter: string
  /** 1-based line where records start (2 after a `sep=` line). */
  fromLine: number
}

/**
 * Picks the delimiter among , ; tab: an Excel `sep=X` first line wins; otherwise the candidate that
 * appears the same non-zero number of times on the first lines (ties: the most frequent), else ','.
 */
export function sniffLayout(text: string): CsvLayout {
  const lines = text.split(/\r\n|\n|\r/)
  const sep = /^sep=(.)\s*$/i.exec(lines[0] ?? '')
  if (sep) return { delimiter: sep[1], fromLine: 2 }
  const sample = lines.filter((l) => l.trim()).slice(0, 20)
  let best = { delimiter: ',', score: -1 }
  for (const d of [',', ';', '\t']) {
    const counts = sample.map((l) => countOutsideQuotes(l, d))
    if (!counts.length || counts[0] === 0) continue
    const consistent = counts.filter((c) => c === counts[0]).length / counts.length
    const score = consistent * 1000 + counts[0]
    if (score > best.score) best = { delimiter: d, score }
  }
  return { delimiter: best.delimiter, fromLine: 1 }
}

/** One parsed record and the line it ends on. */
export interface CsvRecord {
  line: number
  fields: string[]
}

/**
 * Parses the whole text. Quote errors (an unclosed quote, a quote inside an unquoted field) are
 * fatal and name their line; a field count that differs from the first record is left for the caller.
 */
export function parseCsvText(file: string, text: string, layout: CsvLayout = sniffLayout(text)): CsvRecord[] {
  try {
    const rows = parse(text, {
      delimiter: layout.delimiter,
      from_line: layout.fromLine,
      bom: true,
      info: true,
      relax_column_count: true,
      skip_empty_lines: true,
      skip_records_with_empty_values: false,
      max_record_size: MAX_RECORD_CHARS
    }) as unknown as { record: string[]; info: { lines: number } }[]
    return rows
      .map((r) => ({ line: r.info.lines, fields: r.record }))
      .filter((r) => !(r.fields.length === 1 && r.fields[0].trim() === ''))
  } catch (e) {
    const err = e as Error & { lines?: number; code?: string }
    const m = /at line (\d+)/.exec(err.message)
    const line = err.lines ?? (m ? Number(m[1]) : undefined)
    throw new ImportError([{ file, line, message: `CSV syntax error: ${err.message.replace(/^Invalid \w+: /, '')}` }])
  }
}

/** Lower-cased, trimmed, spaces/underscores/dashes removed: how header names are compared. */
export function headerKey(name: string): string {
  return name
    .trim()
    .toLowerCase()
    .replace(/[\s_-]+/g, '')
}

/** Index of the first header whose key is in `aliases`, or -1. */
export function findColumn(header: readonly string[], aliases: readonly string[]): number {
  const keys = header.map(headerKey)
  for (const a of aliases) {
    const i = keys.indexOf(headerKey(a))
    if (i >= 0) return i
  }
  return -1
}
