/**
 * RAF-DB basic emotion labels, `EmoLabel/list_patition_label.txt`: one `train_00001.jpg 5` per line,
 * labels 1..7 = surprise, fear, disgust, happiness, sadness, anger, neutral; the split is the name's
 * prefix. Images are found in the given folder under the listed name or RAF-DB's aligned naming
 * (`train_00001_aligned.jpg`); without --root the usual `Image/aligned` and `Image/original` folders
 * next to `EmoLabel/` are tried.
 */
import { existsSync, realpathSync } from 'node:fs'
import { basename, dirname, join, resolve } from 'node:path'
import { SEVEN_CLASSES, type ClassName } from '../../classes'
import { readTextFile } from '../csv-text'
import { locateItems } from '../locate'
import { resolveInRoot } from '../paths'
import { ImportError, type ParsedSource, type SourceItem, type SourceProblem, type Split } from '../types'

export interface RafdbOptions {
  root?: string
  split?: Split | null
  maxBytes: number
}

/** RAF-DB's label codes. */
export const RAFDB_LABELS: Record<number, ClassName> = {
  1: 'surprise',
  2: 'fear',
  3: 'disgust',
  4: 'happiness',
  5: 'sadness',
  6: 'anger',
  7: 'neutral'
}

const LINE = /^(\S+)\s+(\S+)$/

/** True when the first non-empty lines look like `name.jpg <1..7>`. */
export function looksLikeRafdb(text: string): boolean {
  const lines = text
    .split(/\r\n|\n|\r/)
    .filter((l) => l.trim())
    .slice(0, 5)
  return lines.length > 0 && lines.every((l) => /^\S+\.(jpe?g|png)\s+[1-7]\s*$/i.test(l.trim()))
}

function alignedName(name: string): string {
  const dot = name.lastIndexOf('.')
  return dot > 0 ? `${name.slice(0, dot)}_aligned${name.slice(dot)}` : `${name}_aligned`
}

/** The image folder: --root, else the first usual RAF-DB folder that holds the first listed image. */
function findRoot(file: string, first: string | undefined, given?: string): string {
  if (given) return given
  const here = dirname(file)
  const candidates = [
    here,
    join(here, '..', 'Image', 'aligned'),
    join(here, '..', 'Image', 'original'),
    join(here, 'Image', 'aligned'),
    join(here, 'aligned'),
    join(here, 'images')
  ]
  if (first)
    for (const c of candidates) if (existsSync(join(c, first)) || existsSync(join(c, alignedName(first)))) return c
  return here
}

export function parseRafdb(file: string, opts: RafdbOptions): ParsedSource {
  const source = resolve(file)
  const lines = readTextFile(source).split(/\r\n|\n|\r/)
  const firstName = lines.map((l) => LINE.exec(l.trim())?.[1]).find(Boolean)
  let root: string
  const rootPath = resolve(findRoot(source, firstName, opts.root))
  try {
    root = realpathSync(rootPath)
  } catch {
    throw new ImportError([{ file: source, message: `image folder ${rootPath} does not exist` }])
  }
  const problems: SourceProblem[] = []
  const items: SourceItem[] = []
  const seen = new Map<string, number>()
  const warnings: string[] = []
  let noPrefix = 0
  lines.forEach((raw, i) => {
    const line = i + 1
    const text = raw.trim()
    if (!text) return
    const m = LINE.exec(text)
    if (!m) {
      problems.push({ file: source, line, message: `expected "<image name> <label 1-7>", got "${text.slice(0, 80)}"` })
      return
    }
    const [, name, code] = m
    const label = RAFDB_LABELS[Number(code)]
    if (!/^[1-7]$/.test(code) || !label) {
      problems.push({
        file: source,
        line,
        message: `label "${code}" is not a RAF-DB code 1-7 (1 surprise, 2 fear, 3 disgust, 4 happiness, 5 sadness, 6 anger, 7 neutral)`
      })
      return
    }
    let where = resolveInRoot(root, name)
    if ('error' in where) {
      problems.push({ file: source, line, message: where.error })
      return
    }
    if (!existsSync(where.absPath)) {
      const alt = resolveInRoot(root, alignedName(name))
      if (!('error' in alt) && existsSync(alt.absPath)) where = alt
    }
    const prev = seen.get(name)
    if (prev != null) {
      problems.push({ file: source, line, message: `"${name}" is listed again (first on line ${prev})` })
      return
    }
    seen.set(name, line)
    const prefix = /^(train|test)_/i.exec(basename(name))?.[1]?.toLowerCase() as Split | undefined
    if (!prefix) noPrefix++
    items.push({
      relPath: where.relPath,
      absPath: where.absPath,
      label,
      state: 'labeled',
      split: opts.split !== undefined ? opts.split : (prefix ?? null),
      sourceSplit: prefix ?? null,
      line
    })
  })
  if (problems.length) throw new ImportError(problems)
  if (!items.length) throw new ImportError([{ file: source, message: 'the label list names no images' }])
  if (noPrefix) warnings.push(`${noPrefix} image name(s) start with neither train_ nor test_: no split`)
  const located = locateItems(items, root, source, opts.maxBytes)
  if (located.problems.length) throw new ImportError(located.problems)
  const mapping: Record<string, string> = {}
  for (const [k, v] of Object.entries(RAFDB_LABELS)) mapping[k] = v
  return {
    format: 'rafdb',
    source,
    root,
    items: located.items,
    classes: [...SEVEN_CLASSES],
    classMapping: mapping,
    skipped: located.skipped,
    warnings
  }
}
