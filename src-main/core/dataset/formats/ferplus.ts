/**
 * FERPlus vote files (fer2013new.csv): `Usage, Image name, neutral, happiness, surprise, sadness,
 * anger, disgust, fear, contempt, unknown, NF`, ten crowd votes per FER2013 image.
 *
 * Label = FERPlus's majority rule (Barsoum et al. 2016, the repo's `_process_data` 'majority' mode):
 * votes of 1 are dropped as outliers; the top class must then hold more than half of the remaining
 * votes, else the image is 'unknown'. A winning `unknown` column gives state 'unknown', a winning `NF`
 * column 'not_face'. The raw emotion counts are kept as the annotation's votes.
 *
 * Images: `<root>/<Image name>` or, as FERPlus's generator writes them, `<root>/FER2013Train|Valid|Test/<name>`.
 */
import { existsSync, realpathSync } from 'node:fs'
import { dirname, join, resolve } from 'node:path'
import { CANONICAL_CLASSES, type ClassName } from '../../classes'
import type { LabelState } from '../../store/labels'
import { findColumn, parseCsvText, readTextFile } from '../csv-text'
import { locateItems } from '../locate'
import { resolveInRoot } from '../paths'
import {
  ImportError,
  normaliseSplit,
  type ParsedSource,
  type SkippedFile,
  type SourceItem,
  type SourceProblem,
  type Split
} from '../types'

export interface FerplusOptions {
  root?: string
  split?: Split | null
  maxBytes: number
}

/** FERPlus's vote columns; the first eight are CANONICAL_CLASSES in the same order. */
export const FERPLUS_VOTE_COLUMNS = [...CANONICAL_CLASSES, 'unknown', 'NF'] as const

const USAGE_FOLDERS: Record<string, string> = {
  training: 'FER2013Train',
  publictest: 'FER2013Valid',
  privatetest: 'FER2013Test'
}

/** The FERPlus majority rule over the 10 vote counts (8 emotions, unknown, NF). */
export function ferplusMajority(votes: readonly number[]): { state: LabelState; label: ClassName | null } {
  const kept = votes.map((v) => (v <= 1 ? 0 : v))
  const sum = kept.reduce((a, b) => a + b, 0)
  if (sum === 0) return { state: 'unknown', label: null }
  let top = 0
  for (let i = 1; i < kept.length; i++) if (kept[i] > kept[top]) top = i
  if (!(kept[top] > 0.5 * sum)) return { state: 'unknown', label: null }
  if (top === 8) return { state: 'unknown', label: null }
  if (top === 9) return { state: 'not_face', label: null }
  return { state: 'labeled', label: CANONICAL_CLASSES[top] }
}

/** True when a header row looks like a FERPlus vote file. */
export function isFerplusHeader(fields: readonly string[]): boolean {
  return (
    findColumn(fields, ['Image name']) >= 0 && findColumn(fields, ['NF']) >= 0 && findColumn(fields, ['contempt']) >= 0
  )
}

export function parseFerplus(file: string, opts: FerplusOptions): ParsedSource {
  const source = resolve(file)
  const records = parseCsvText(source, readTextFile(source))
  if (!records.length || !isFerplusHeader(records[0].fields)) {
    throw new ImportError([
      {
        file: source,
        line: records[0]?.line ?? 1,
        message: `not a FERPlus vote file: the header must name Usage, Image name, ${FERPLUS_VOTE_COLUMNS.join(', ')}`
      }
    ])
  }
  const header = records[0].fields
  const cUsage = findColumn(header, ['Usage'])
  const cName = findColumn(header, ['Image name'])
  const cVotes = FERPLUS_VOTE_COLUMNS.map((c) => findColumn(header, [c]))
  const missing = FERPLUS_VOTE_COLUMNS.filter((_, i) => cVotes[i] < 0)
  if (missing.length)
    throw new ImportError([
      { file: source, line: records[0].line, message: `missing vote column(s): ${missing.join(', ')}` }
    ])
  let root: string
  try {
    root = realpathSync(resolve(opts.root ?? dirname(source)))
  } catch {
    throw new ImportError([{ file: source, message: `image folder ${opts.root ?? dirname(source)} does not exist` }])
  }

  const problems: SourceProblem[] = []
  const skipped: SkippedFile[] = []
  const items: SourceItem[] = []
  const seen = new Map<string, number>()
  for (const { line, fields } of records.slice(1)) {
    if (fields.length !== header.length) {
      problems.push({
        file: source,
        line,
        message: `row has ${fields.length} field(s), the header has ${header.length}`
      })
      continue
    }
    const name = fields[cName].trim()
    const usage = cUsage >= 0 ? fields[cUsage].trim() : ''
    const votes: number[] = []
    let bad = false
    for (let i = 0; i < cVotes.length; i++) {
      const raw = fields[cVotes[i]].trim()
      const v = Number(raw)
      if (!raw || !Number.isInteger(v) || v < 0) {
        problems.push({
          file: source,
          line,
          message: `vote "${raw}" in column ${FERPLUS_VOTE_COLUMNS[i]} is not a non-negative integer`
        })
        bad = true
        break
      }
      votes.push(v)
    }
    if (bad) continue
    if (!name) {
      skipped.push({ path: '', line, reason: 'no image name (a FER2013 row FERPlus dropped)' })
      continue
    }
    // Prefer the file where it exists: directly under the root, else in FERPlus's per-usage folder.
    const folder = USAGE_FOLDERS[usage.toLowerCase()]
    const candidates = folder ? [name, `${folder}/${name}`] : [name]
    let where = resolveInRoot(root, candidates[0])
    if ('error' in where) {
      problems.push({ file: source, line, message: where.error })
      continue
    }
    for (const c of candidates.slice(1)) {
      if (existsSync(where.absPath)) break
      const alt = resolveInRoot(root, c)
      if (!('error' in alt) && (existsSync(alt.absPath) || existsSync(join(root, folder)))) where = alt
    }
    const prev = seen.get(where.relPath)
    if (prev != null) {
      problems.push({ file: source, line, message: `"${name}" is listed again (first on line ${prev})` })
      continue
    }
    seen.set(where.relPath, line)
    const { state, label } = ferplusMajority(votes)
    const split = opts.split !== undefined ? opts.split : (normaliseSplit(usage) ?? null)
    items.push({
      relPath: where.relPath,
      absPath: where.absPath,
      label,
      state,
      votes: votes.slice(0, 8),
      split,
      sourceSplit: usage || null,
      extra: { unknown: votes[8], NF: votes[9] },
      line
    })
  }
  if (problems.length) throw new ImportError(problems)
  if (!items.length) throw new ImportError([{ file: source, message: 'the vote file lists no images' }])
  const located = locateItems(items, root, source, opts.maxBytes)
  if (located.problems.length) throw new ImportError(located.problems)
  return {
    format: 'ferplus',
    source,
    root,
    items: located.items,
    classes: [...CANONICAL_CLASSES],
    classMapping: {},
    skipped: [...skipped, ...located.skipped],
    warnings: []
  }
}
