/**
 * Types shared by the importers: what a parsed source lists, what an import reports, and the error a
 * bad source raises. Parsers (formats/*.ts) turn a file or folder into a ParsedSource without
 * touching the project; the engine (import.ts) turns a ParsedSource into rows, all or nothing.
 */
import type { ClassName } from '../classes'
import type { LabelState } from '../store/labels'

export const IMPORT_FORMATS = ['folder', 'csv', 'ferplus', 'rafdb', 'affectnet'] as const
export type ImportFormat = (typeof IMPORT_FORMATS)[number]

/** Our split vocabulary (images.split). */
export type Split = 'train' | 'val' | 'test'

/** One image a source lists, before its file is read. */
export interface SourceItem {
  /** '/'-separated, relative to the dataset root. */
  relPath: string
  absPath: string
  /** Canonical class, or null for states other than 'labeled'. */
  label: ClassName | null
  state: LabelState
  /**
   * Votes per canonical class, in CANONICAL_CLASSES order: counts (FERPlus) or a distribution (JAFFE's
   * rater scores: formats/ratings.ts).
   */
  votes?: number[]
  split: Split | null
  /** The split as the source wrote it (Training, PublicTest, all, …). */
  sourceSplit: string | null
  /** A duplicate-group id the source wrote itself (FER2013 labels.csv `dup_group`). */
  sourceDupGroup?: string | null
  /** Source columns kept verbatim (subject, face box, ratings, …), stored as images.extra. */
  extra?: Record<string, unknown>
  /** Face rectangle in source pixels [x, y, width, height], when the source gives one (AffectNet). */
  faceBox?: [number, number, number, number]
  /** 1-based line in the annotation file, for messages; absent for folder trees. */
  line?: number
}

/** A file a source named that was not imported, and why. */
export interface SkippedFile {
  path: string
  reason: string
  line?: number
}

/** The result of parsing a source: everything the engine needs, nothing written yet. */
export interface ParsedSource {
  format: ImportFormat
  /** The file or folder the user gave (absolute). */
  source: string
  /** Realpath of the dataset root every item is relative to. */
  root: string
  items: SourceItem[]
  /** The classes this source's label set defines (all of them, even if some have no image). */
  classes: ClassName[]
  /** Raw label spellings that were renamed, e.g. { angry: 'anger' }. */
  classMapping: Record<string, string>
  /** Files the source named that cannot be imported (missing, not a regular file, too large, …). */
  skipped: SkippedFile[]
  warnings: string[]
}

/** One problem with a source; an import with any of these is refused whole. */
export interface SourceProblem {
  file: string
  line?: number
  message: string
}

/** A source that cannot be imported (bad rows, unknown classes, paths outside the root, no images). */
export class ImportError extends Error {
  readonly problems: SourceProblem[]
  constructor(problems: SourceProblem[], summary?: string) {
    super(summary ?? formatProblems(problems))
    this.name = 'ImportError'
    this.problems = problems
  }
}

/** "file:line: message" lines, the first `max` of them and a count of the rest. */
export function formatProblems(problems: readonly SourceProblem[], max = 30): string {
  const lines = problems.slice(0, max).map((p) => `${p.file}${p.line != null ? `:${p.line}` : ''}: ${p.message}`)
  if (problems.length > max) lines.push(`… and ${problems.length - max} more problem(s)`)
  const head = problems.length === 1 ? 'import refused: 1 problem' : `import refused: ${problems.length} problems`
  return `${head}\n${lines.join('\n')}`
}

/** The import was cancelled through its AbortSignal; nothing was written. */
export class ImportAbortedError extends Error {
  constructor() {
    super('import cancelled; nothing was imported')
    this.name = 'ImportAbortedError'
  }
}

const SPLIT_ALIASES: Record<string, Split | null> = {
  train: 'train',
  training: 'train',
  trn: 'train',
  val: 'val',
  valid: 'val',
  validation: 'val',
  dev: 'val',
  publictest: 'val',
  test: 'test',
  testing: 'test',
  privatetest: 'test',
  all: null,
  none: null,
  '': null
}

/**
 * Maps a split as written (Training, PublicTest, VAL, …) onto ours. FER2013's protocol tunes on
 * PublicTest and reports PrivateTest, hence val and test. Returns undefined for unknown values.
 */
export function normaliseSplit(raw: string): Split | null | undefined {
  const key = raw
    .trim()
    .toLowerCase()
    .replace(/[\s_-]+/g, '')
  return key in SPLIT_ALIASES ? SPLIT_ALIASES[key] : undefined
}

/** A duplicate group as reported: its members and their labels. */
export interface DuplicateGroup {
  kind: DuplicateKind
  /** images.id of every member, ascending. */
  imageIds: number[]
  paths: string[]
  /** Current label name (or state, for unlabelled members) per member. */
  labels: string[]
  /** Splits of the members (null: none). */
  splits: (Split | null)[]
}

/**
 * exact: same file bytes; pixel: same normalised pixels; near: pHash + signature match (includes the
 * exact and pixel matches); source: the source's own dup_group column.
 */
export type DuplicateKind = 'exact' | 'pixel' | 'near' | 'source'

export interface DuplicateSummary {
  /** Groups with ≥ 2 members. */
  groups: number
  /** Images in those groups. */
  images: number
  /** Groups whose members carry different labels. */
  conflicting: number
  /** Groups with members in more than one split (train/test leakage). */
  crossSplit: number
}

/** Everything an import did, stored as JSON in imports.report and printed by the CLI. */
export interface ImportReport {
  /** Report format version. */
  version: 1
  importId: number
  format: ImportFormat
  source: string
  root: string
  startedAt: string
  finishedAt: string
  /** Wall time of the whole import, seconds. */
  seconds: number
  /** Items the source listed. */
  listed: number
  /** Images now in the project from this import (decoded or not). */
  imported: number
  decoded: number
  /** Per class name (labelled images) plus per non-labelled state ('unknown', 'not_face', 'unlabeled'). */
  countsByClass: Record<string, number>
  /** 'train' | 'val' | 'test' | 'none'. */
  countsBySplit: Record<string, number>
  /** split → class → count. */
  countsBySplitClass: Record<string, Record<string, number>>
  states: Partial<Record<LabelState, number>>
  classMapping: Record<string, string>
  /** Not imported: named by the source but missing, unreadable, too large, already in the project. */
  skipped: SkippedFile[]
  /** Imported with decode_status 'error' (kept so curators see them; never trained on). */
  decodeErrors: SkippedFile[]
  /** Images whose pixels all have one value (blank frames). */
  uniform: string[]
  duplicates: Record<DuplicateKind, DuplicateSummary>
  /** Groups with differing labels, every kind, all of them. */
  conflictingGroups: DuplicateGroup[]
  /** A sample of the other groups (first 200 per kind) for the report; the database has them all. */
  groupSample: DuplicateGroup[]
  warnings: string[]
}

/** Progress of a long import or cache build. */
export interface ImportProgress {
  phase: 'scan' | 'decode' | 'duplicates' | 'commit' | 'cache'
  done: number
  total: number
  message?: string
}
