/**
 * Generic annotation CSV: `path,label[,split]` plus any other columns (kept in images.extra; per-class
 * `rating_<class>` scores, as JAFFE's, also become the image's votes: ratings.ts). Also the
 * shape POI Audit's own CSV export writes (`path,label,split,original_label,…`, path relative to the
 * dataset root), so an export re-imports exactly.
 *
 * Strict: every row is checked and every problem collected (ragged rows, unknown classes, paths that
 * leave the root, duplicate paths, bad states), then the import is refused listing all of them with
 * their line numbers. Missing image files are not source errors: they are skipped and reported.
 */
import { realpathSync } from 'node:fs'
import { dirname, resolve } from 'node:path'
import { canonicalOrder, normaliseClassName, type ClassName } from '../../classes'
import { LABEL_STATES, type LabelState } from '../../store/labels'
import { findColumn, headerKey, parseCsvText, readTextFile } from '../csv-text'
import { locateItems } from '../locate'
import { ratingColumns, ratingVotes } from './ratings'
import { resolveInRoot } from '../paths'
import {
  ImportError,
  normaliseSplit,
  type ParsedSource,
  type SourceItem,
  type SourceProblem,
  type Split
} from '../types'

export interface CsvOptions {
  /** Folder the paths are relative to (default: the CSV's folder). */
  root?: string
  /** Split for every row, overriding the split column. */
  split?: Split | null
  maxBytes: number
}

export const PATH_COLUMNS = [
  'path',
  'file',
  'filename',
  'file_name',
  'filepath',
  'image',
  'image_path',
  'img',
  'relpath'
]
export const LABEL_COLUMNS = ['label', 'class', 'emotion', 'expression', 'category']
export const SPLIT_COLUMNS = ['split', 'usage', 'subset', 'set', 'partition']
const STATE_COLUMNS = ['state']
const DUP_COLUMNS = ['dup_group', 'duplicate_group']

/** Label cells that name a state rather than a class (as our export writes them). */
const STATE_WORDS: Record<string, LabelState> = {
  unknown: 'unknown',
  uncertain: 'unknown',
  notface: 'not_face',
  nf: 'not_face',
  noface: 'not_face',
  unlabeled: 'unlabeled',
  unlabelled: 'unlabeled',
  none: 'unlabeled',
  excluded: 'excluded',
  ambiguous: 'ambiguous'
}

const KNOWN =
  'known classes: neutral, happiness, surprise, sadness, anger, disgust, fear, contempt (and common spellings: happy, sad, angry, …)'

export function parseCsv(file: string, opts: CsvOptions): ParsedSource {
  const source = resolve(file)
  const text = readTextFile(source)
  const records = parseCsvText(source, text)
  if (!records.length) throw new ImportError([{ file: source, message: 'the CSV has no rows' }])
  let root: string
  try {
    root = realpathSync(resolve(opts.root ?? dirname(source)))
  } catch {
    throw new ImportError([{ file: source, message: `dataset root ${opts.root ?? dirname(source)} does not exist` }])
  }

  const first = records[0].fields
  let cols: { path: number; label: number; split: number; state: number; dup: number }
  let header: string[]
  let body = records
  const hp = findColumn(first, PATH_COLUMNS)
  const hl = findColumn(first, LABEL_COLUMNS)
  if (hp >= 0 && hl >= 0) {
    header = first.map((h) => h.trim())
    cols = {
      path: hp,
      label: hl,
      split: findColumn(first, SPLIT_COLUMNS),
      state: findColumn(first, STATE_COLUMNS),
      dup: findColumn(first, DUP_COLUMNS)
    }
    body = records.slice(1)
  } else if (
    first.length >= 2 &&
    first.length <= 3 &&
    (normaliseClassName(first[1]) || STATE_WORDS[headerKey(first[1])])
  ) {
    header = ['path', 'label', 'split'].slice(0, first.length)
    cols = { path: 0, label: 1, split: first.length === 3 ? 2 : -1, state: -1, dup: -1 }
  } else {
    throw new ImportError([
      {
        file: source,
        line: records[0].line,
        message: `no header naming a path column (${PATH_COLUMNS.join('|')}) and a label column (${LABEL_COLUMNS.join('|')}), and the first row is not "path,label[,split]"`
      }
    ])
  }
  const used = new Set([cols.path, cols.label, cols.split, cols.state, cols.dup])
  const extraCols = header.map((h, i) => ({ h, i })).filter((c) => !used.has(c.i) && c.h)
  // Per-class rater scores (JAFFE): kept verbatim in extra and, as a distribution, as the source's votes.
  const ratings = ratingColumns(header)

  const problems: SourceProblem[] = []
  const items: SourceItem[] = []
  const seen = new Map<string, number>()
  const mapping: Record<string, string> = {}
  const classes = new Set<ClassName>()
  const unknownSplits = new Map<string, number>()
  for (const { line, fields } of body) {
    if (fields.length !== header.length) {
      problems.push({
        file: source,
        line,
        message: `row has ${fields.length} field(s), the header has ${header.length}`
      })
      continue
    }
    const rawPath = fields[cols.path]
    const where = resolveInRoot(root, rawPath)
    if ('error' in where) {
      problems.push({ file: source, line, message: where.error })
      continue
    }
    const rawLabel = fields[cols.label].trim()
    let label: ClassName | null = null
    let state: LabelState = 'labeled'
    if (rawLabel) {
      label = normaliseClassName(rawLabel)
      if (!label) {
        const st = STATE_WORDS[headerKey(rawLabel)]
        if (!st) {
          problems.push({ file: source, line, message: `unknown class "${rawLabel}" (${KNOWN})` })
          continue
        }
        state = st
      } else {
        classes.add(label)
        if (rawLabel !== label) mapping[rawLabel] = label
      }
    } else {
      state = 'unlabeled'
    }
    if (cols.state >= 0 && fields[cols.state].trim()) {
      const s = fields[cols.state].trim().toLowerCase() as LabelState
      if (!LABEL_STATES.includes(s)) {
        problems.push({
          file: source,
          line,
          message: `unknown state "${fields[cols.state].trim()}" (states: ${LABEL_STATES.join(', ')})`
        })
        continue
      }
      if (s === 'labeled' && !label) {
        problems.push({ file: source, line, message: `state "labeled" needs a class label` })
        continue
      }
      state = s
    }
    let split: Split | null = opts.split ?? null
    let sourceSplit: string | null = null
    if (cols.split >= 0) {
      sourceSplit = fields[cols.split].trim() || null
      if (opts.split === undefined) {
        const s = normaliseSplit(fields[cols.split])
        if (s === undefined) unknownSplits.set(sourceSplit ?? '', (unknownSplits.get(sourceSplit ?? '') ?? 0) + 1)
        split = s ?? null
      }
    }
    const prev = seen.get(where.relPath)
    if (prev != null) {
      problems.push({ file: source, line, message: `"${rawPath}" is listed again (first on line ${prev})` })
      continue
    }
    let votes: number[] | undefined
    if (ratings.length) {
      const r = ratingVotes(fields, ratings, state === 'labeled' ? label : null, { file: source, line })
      if ('problem' in r) {
        problems.push(r.problem)
        continue
      }
      votes = r.votes ?? undefined
    }
    seen.set(where.relPath, line)
    const extra: Record<string, string> = {}
    for (const c of extraCols) extra[c.h] = fields[c.i]
    items.push({
      relPath: where.relPath,
      absPath: where.absPath,
      label,
      state,
      split,
      sourceSplit,
      sourceDupGroup: cols.dup >= 0 ? fields[cols.dup].trim() || null : undefined,
      ...(votes ? { votes } : {}),
      extra: extraCols.length ? extra : undefined,
      line
    })
  }
  if (problems.length) throw new ImportError(problems)
  if (!items.length) throw new ImportError([{ file: source, message: 'the CSV lists no images' }])
  const located = locateItems(items, root, source, opts.maxBytes)
  if (located.problems.length) throw new ImportError(located.problems)
  const warnings: string[] = []
  for (const [v, n] of unknownSplits)
    warnings.push(`split value "${v}" is not train/val/test: ${n} row(s) get no split (kept as source_split)`)
  return {
    format: 'csv',
    source,
    root,
    items: located.items,
    classes: canonicalOrder(classes),
    classMapping: mapping,
    skipped: located.skipped,
    warnings
  }
}
