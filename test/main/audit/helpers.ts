/**
 * Builds real project files for audit/export tests through the store API (createProject,
 * ensureClasses) plus plain SQL inserts into datasets/imports/images/annotations (the importer API
 * belongs to another module and is not needed to set up rows).
 */
import { mkdirSync } from 'node:fs'
import { join } from 'node:path'
import { createProject, type Project } from '../../../src-main/core/project'
import { ensureClasses } from '../../../src-main/core/store/meta'
import type { ClassName } from '../../../src-main/core/classes'
import type { LabelState } from '../../../src-main/core/store/labels'
import { createRun, finishRun, writePredictions } from '../../../src-main/core/store/runs'

export interface FixtureImage {
  relPath: string
  /** Class index into `classes`, or null (unlabeled). */
  label: number | null
  state?: LabelState
  split?: 'train' | 'val' | 'test' | null
  sourceSplit?: string | null
  dupGroup?: number | null
  votes?: number[] | null
  sha256?: string
}

export interface Fixture {
  p: Project
  file: string
  root: string
  ids: number[]
  classes: ClassName[]
}

/** A project file in `dir` with one dataset rooted at `<dir>/data` and the given images. */
export function makeProject(dir: string, classes: ClassName[], images: FixtureImage[], name = 'p.poi'): Fixture {
  const file = join(dir, name)
  const root = join(dir, 'data')
  mkdirSync(root, { recursive: true })
  const p = createProject(file)
  const db = p.db
  const got = ensureClasses(db, classes)
  if (got.join() !== classes.join())
    throw new Error(`fixture classes must be in canonical order: ${classes.join()} vs ${got.join()}`)
  const now = new Date().toISOString()
  db.prepare('INSERT INTO datasets (id, root, added_at) VALUES (1, ?, ?)').run(root, now)
  db.prepare(
    "INSERT INTO imports (id, dataset_id, format, source, started_at, finished_at, report) VALUES (1, 1, 'csv', ?, ?, ?, '{}')"
  ).run(join(root, 'labels.csv'), now, now)
  const insImg = db.prepare(
    `INSERT INTO images (dataset_id, rel_path, sha256, byte_size, format, width, height, channels, split, source_split, decode_status, dup_group, import_id)
     VALUES (1, ?, ?, 100, 'jpeg', 48, 48, 1, ?, ?, 'ok', ?, 1)`
  )
  const insAnn = db.prepare(
    `INSERT INTO annotations (image_id, original_label, current_label, state, original_state, votes, soft_label, updated_at)
     VALUES (?, ?, ?, ?, ?, ?, NULL, ?)`
  )
  const ids: number[] = []
  db.transaction(() => {
    images.forEach((im, i) => {
      const id = Number(
        insImg.run(
          im.relPath,
          im.sha256 ?? `sha-${i}`,
          im.split === undefined ? 'train' : im.split,
          im.sourceSplit ?? null,
          im.dupGroup ?? null
        ).lastInsertRowid
      )
      const state = im.state ?? (im.label == null ? 'unlabeled' : 'labeled')
      insAnn.run(id, im.label, im.label, state, state, im.votes ? JSON.stringify(im.votes) : null, now)
      ids.push(id)
    })
  })()
  return { p, file, root, ids, classes }
}

/**
 * Adds a finished k-fold POI run whose every output for image i points at class `looksLike[i]`
 * with probability `p` (the rest spread evenly), regions agreeing, UEM confidence `c`.
 */
export function addUniformRun(f: Fixture, looksLike: (number | null)[], p = 0.85, c = 0.9): number {
  const C = f.classes.length
  const v = (k: number): number[] => Array.from({ length: C }, (_, i) => (i === k ? p : (1 - p) / (C - 1)))
  const runId = createRun(f.p.db, { kind: 'poi-kfold', config: { folds: 2 }, classes: f.classes })
  const preds = f.ids.flatMap((id, i) => {
    const k = looksLike[i]
    if (k == null) return []
    return [
      {
        imageId: id,
        fold: i % 2,
        trnProbs: v(k),
        oimSoft: v(k),
        oimSoftT1: v(k),
        regionProbs: [...v(k), ...v(k), ...v(k), ...v(k)],
        gate: [0.25, 0.25, 0.25, 0.25],
        uemUncertainty: 1 - c,
        uemConfidence: c,
        auProb: new Array(26).fill(0.2),
        auImportance: new Array(26).fill(0.5)
      }
    ]
  })
  writePredictions(f.p.db, runId, preds)
  finishRun(f.p.db, runId, { status: 'done' })
  return runId
}
