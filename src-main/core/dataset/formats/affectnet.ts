/**
 * AffectNet annotation CSVs (training.csv / validation.csv): `subDirectory_filePath, face_x, face_y,
 * face_width, face_height, facial_landmarks, expression, valence, arousal`. Expression codes 0–7 =
 * neutral, happy, sad, surprise, fear, disgust, anger, contempt; 8 "None" → state 'unlabeled',
 * 9 "Uncertain" → 'unknown', 10 "No-Face" → 'not_face'. The face box is kept (for the alignment step);
 * the 68 landmarks are not (hundreds of bytes per row, recomputed on import by the aligner).
 * Split: --split, else from the file name (training → train, validation → val).
 */
import { existsSync, realpathSync } from 'node:fs'
import { basename, dirname, join, resolve } from 'node:path'
import { CANONICAL_CLASSES, type ClassName } from '../../classes'
import type { LabelState } from '../../store/labels'
import { findColumn, parseCsvText, readTextFile } from '../csv-text'
import { locateItems } from '../locate'
import { resolveInRoot } from '../paths'
import { ImportError, type ParsedSource, type SourceItem, type SourceProblem, type Split } from '../types'

export interface AffectnetOptions {
  root?: string
  split?: Split | null
  maxBytes: number
}

/** AffectNet expression codes. */
export const AFFECTNET_CODES: Record<number, { label: ClassName | null; state: LabelState; name: string }> = {
  0: { label: 'neutral', state: 'labeled', name: 'Neutral' },
  1: { label: 'happiness', state: 'labeled', name: 'Happy' },
  2: { label: 'sadness', state: 'labeled', name: 'Sad' },
  3: { label: 'surprise', state: 'labeled', name: 'Surprise' },
  4: { label: 'fear', state: 'labeled', name: 'Fear' },
  5: { label: 'disgust', state: 'labeled', name: 'Disgust' },
  6: { label: 'anger', state: 'labeled', name: 'Anger' },
  7: { label: 'contempt', state: 'labeled', name: 'Contempt' },
  8: { label: null, state: 'unlabeled', name: 'None' },
  9: { label: null, state: 'unknown', name: 'Uncertain' },
  10: { label: null, state: 'not_face', name: 'Non-Face' }
}

export function isAffectnetHeader(fields: readonly string[]): boolean {
  return findColumn(fields, ['subDirectory_filePath']) >= 0 && findColumn(fields, ['expression']) >= 0
}

function splitFromName(file: string): Split | null {
  const b = basename(file).toLowerCase()
  if (b.includes('train')) return 'train'
  if (b.includes('valid') || b.includes('val.')) return 'val'
  if (b.includes('test')) return 'test'
  return null
}

export function parseAffectnet(file: string, opts: AffectnetOptions): ParsedSource {
  const source = resolve(file)
  const records = parseCsvText(source, readTextFile(source))
  if (!records.length || !isAffectnetHeader(records[0].fields)) {
    throw new ImportError([
      {
        file: source,
        line: records[0]?.line ?? 1,
        message: 'not an AffectNet CSV: the header must name subDirectory_filePath and expression'
      }
    ])
  }
  const header = records[0].fields
  const c = {
    path: findColumn(header, ['subDirectory_filePath']),
    expr: findColumn(header, ['expression']),
    box: ['face_x', 'face_y', 'face_width', 'face_height'].map((n) => findColumn(header, [n])),
    valence: findColumn(header, ['valence']),
    arousal: findColumn(header, ['arousal'])
  }
  const here = dirname(source)
  const rootPath = resolve(
    opts.root ?? (existsSync(join(here, 'Manually_Annotated_Images')) ? join(here, 'Manually_Annotated_Images') : here)
  )
  let root: string
  try {
    root = realpathSync(rootPath)
  } catch {
    throw new ImportError([{ file: source, message: `image folder ${rootPath} does not exist` }])
  }
  const split = opts.split !== undefined ? opts.split : splitFromName(source)
  const problems: SourceProblem[] = []
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
    const rawCode = fields[c.expr].trim()
    const code = AFFECTNET_CODES[Number(rawCode)]
    if (!/^\d+$/.test(rawCode) || !code) {
      problems.push({ file: source, line, message: `expression "${rawCode}" is not an AffectNet code 0-10` })
      continue
    }
    const where = resolveInRoot(root, fields[c.path])
    if ('error' in where) {
      problems.push({ file: source, line, message: where.error })
      continue
    }
    const prev = seen.get(where.relPath)
    if (prev != null) {
      problems.push({ file: source, line, message: `"${fields[c.path]}" is listed again (first on line ${prev})` })
      continue
    }
    seen.set(where.relPath, line)
    let faceBox: [number, number, number, number] | undefined
    if (c.box.every((i) => i >= 0)) {
      const b = c.box.map((i) => Number(fields[i]))
      if (b.every((v) => Number.isFinite(v)) && b[2] > 0 && b[3] > 0) faceBox = b as [number, number, number, number]
    }
    const extra: Record<string, unknown> = { expression: Number(rawCode) }
    if (faceBox) extra.face = faceBox
    if (c.valence >= 0) extra.valence = Number(fields[c.valence])
    if (c.arousal >= 0) extra.arousal = Number(fields[c.arousal])
    items.push({
      relPath: where.relPath,
      absPath: where.absPath,
      label: code.label,
      state: code.state,
      split,
      sourceSplit: null,
      extra,
      faceBox,
      line
    })
  }
  if (problems.length) throw new ImportError(problems)
  if (!items.length) throw new ImportError([{ file: source, message: 'the CSV lists no images' }])
  const located = locateItems(items, root, source, opts.maxBytes)
  if (located.problems.length) throw new ImportError(located.problems)
  const mapping: Record<string, string> = {}
  for (const [k, v] of Object.entries(AFFECTNET_CODES)) mapping[k] = v.label ?? v.state
  return {
    format: 'affectnet',
    source,
    root,
    items: located.items,
    classes: [...CANONICAL_CLASSES],
    classMapping: mapping,
    skipped: located.skipped,
    warnings: []
  }
}
