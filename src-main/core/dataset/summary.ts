/**
 * What a project holds, for `poi-audit info` and the app's overview: classes and counts per class and
 * split, label states, duplicate groups (with the conflicting ones), undecodable and skipped files, and
 * the imports. Read-only; works on a read-only connection.
 */
import type { Project } from '../project'
import { cacheSizes } from '../store/cache'
import type { DB } from '../store/db'
import { collectDuplicateGroups, isConflicting, summariseGroups } from './duplicates'
import type { DuplicateGroup, DuplicateKind, DuplicateSummary, ImportReport, SkippedFile } from './types'

export interface ImportListing {
  id: number
  format: string
  source: string
  root: string
  startedAt: string
  finishedAt: string
  imported: number
  skipped: number
  decodeErrors: number
}

export interface ProjectSummary {
  path: string
  name: string
  createdAt: string
  createdWith: string
  inputSize: number
  channels: number
  classes: string[]
  images: number
  decoded: number
  /** class (or state, for unlabelled images) → count. */
  countsByClass: Record<string, number>
  /** split ('train' | 'val' | 'test' | 'none') → class-or-state → count. */
  countsBySplitClass: Record<string, Record<string, number>>
  states: Record<string, number>
  duplicates: Record<DuplicateKind, DuplicateSummary>
  /** Groups whose members carry different labels, all kinds. */
  conflictingGroups: DuplicateGroup[]
  /** Up to `limit` undecodable images. */
  decodeErrors: { imageId: number; path: string; reason: string }[]
  /** Files skipped by the imports (from their reports), up to `limit`. */
  skipped: (SkippedFile & { importId: number })[]
  skippedTotal: number
  pixelCache: { size: number; channels: number; images: number }[]
  imports: ImportListing[]
}

function count(db: DB, sql: string): number {
  return (db.prepare(sql).pluck().get() as number) ?? 0
}

export function projectSummary(project: Project, limit = 50): ProjectSummary {
  const db = project.db
  const s = project.settings()
  const rows = db
    .prepare(
      `SELECT coalesce(i.split, 'none') AS split, CASE WHEN a.state = 'labeled' THEN c.name ELSE a.state END AS key, count(*) AS n
       FROM images i JOIN annotations a ON a.image_id = i.id LEFT JOIN classes c ON c.idx = a.current_label
       GROUP BY 1, 2 ORDER BY 1, 2`
    )
    .all() as { split: string; key: string | null; n: number }[]
  const countsByClass: Record<string, number> = {}
  const countsBySplitClass: Record<string, Record<string, number>> = {}
  for (const r of rows) {
    const key = r.key ?? 'unlabeled'
    countsByClass[key] = (countsByClass[key] ?? 0) + r.n
    ;(countsBySplitClass[r.split] ??= {})[key] = r.n
  }
  const states = Object.fromEntries(
    (
      db.prepare('SELECT state, count(*) AS n FROM annotations GROUP BY state ORDER BY state').all() as {
        state: string
        n: number
      }[]
    ).map((r) => [r.state, r.n])
  )
  const groups = collectDuplicateGroups(db)
  const kinds = Object.keys(groups) as DuplicateKind[]
  const decodeErrors = (
    db
      .prepare("SELECT id, rel_path, decode_error FROM images WHERE decode_status = 'error' ORDER BY id LIMIT ?")
      .all(limit) as {
      id: number
      rel_path: string
      decode_error: string | null
    }[]
  ).map((r) => ({ imageId: r.id, path: r.rel_path, reason: r.decode_error ?? '' }))
  const importRows = db
    .prepare(
      'SELECT i.id, i.format, i.source, d.root, i.started_at, i.finished_at, i.report FROM imports i JOIN datasets d ON d.id = i.dataset_id ORDER BY i.id'
    )
    .all() as {
    id: number
    format: string
    source: string
    root: string
    started_at: string
    finished_at: string
    report: string
  }[]
  const skipped: (SkippedFile & { importId: number })[] = []
  let skippedTotal = 0
  const imports: ImportListing[] = importRows.map((r) => {
    let rep: Partial<ImportReport> = {}
    try {
      rep = JSON.parse(r.report) as Partial<ImportReport>
    } catch {
      rep = {}
    }
    const sk = rep.skipped ?? []
    skippedTotal += sk.length
    for (const f of sk) if (skipped.length < limit) skipped.push({ ...f, importId: r.id })
    return {
      id: r.id,
      format: r.format,
      source: r.source,
      root: r.root,
      startedAt: r.started_at,
      finishedAt: r.finished_at,
      imported: rep.imported ?? count(db, `SELECT count(*) FROM images WHERE import_id = ${r.id}`),
      skipped: sk.length,
      decodeErrors: rep.decodeErrors?.length ?? 0
    }
  })
  return {
    path: project.path,
    name: s.name,
    createdAt: s.createdAt,
    createdWith: s.createdWith,
    inputSize: s.inputSize,
    channels: s.channels,
    classes: project.classes(),
    images: count(db, 'SELECT count(*) FROM images'),
    decoded: count(db, "SELECT count(*) FROM images WHERE decode_status = 'ok'"),
    countsByClass,
    countsBySplitClass,
    states,
    duplicates: Object.fromEntries(kinds.map((k) => [k, summariseGroups(groups[k])])) as Record<
      DuplicateKind,
      DuplicateSummary
    >,
    conflictingGroups: kinds.flatMap((k) => groups[k].filter(isConflicting)),
    decodeErrors,
    skipped,
    skippedTotal,
    pixelCache: cacheSizes(db),
    imports
  }
}
