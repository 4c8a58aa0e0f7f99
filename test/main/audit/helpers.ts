/**
 * Builds real project files for audit/export tests through the store API (openProjectDb,
 * ensureClasses) plus plain SQL inserts into datasets/imports/images/annotations (the importer API
 * belongs to another module and is not needed to set up rows).
 */
import { mkdirSync } from 'node:fs'
import { join } from 'node:path'
import { openProjectDb, type ProjectDb } from '../../../src-main/core/store/db'
import { ensureClasses } from '../../../src-main/core/store/meta'
import type { ClassName } from '../../../src-main/core/classes'
import type { LabelState } from '../../../src-main/core/store/labels'

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
  p: ProjectDb
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
  const p = openProjectDb(file, { create: true, quickCheck: false })
  const db = p.db
  const got = ensureClasses(db, classes)
  if (got.join() !== classes.join()) throw new Error(`fixture classes must be in canonical order: ${classes.join()} vs ${got.join()}`)
  const now = new Date().toISOString()
  db.prepare('INSERT INTO datasets (id, root, added_at) VALUES (1, ?, ?)').run(root, now)
  db.prepare("INSERT INTO imports (id, dataset_id, format, source, started_at, finished_at, report) VALUES (1, 1, 'csv', ?, ?, ?, '{}')").run(
    join(root, 'labels.csv'),
    now,
    now
  )
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
        insImg.run(im.relPath, im.sha256 ?? `sha-${i}`, im.split === undefined ? 'train' : im.split, im.sourceSplit ?? null, im.dupGroup ?? null)
          .lastInsertRowid
      )
      const state = im.state ?? (im.label == null ? 'unlabeled' : 'labeled')
      insAnn.run(id, im.label, im.label, state, state, im.votes ? JSON.stringify(im.votes) : null, now)
      ids.push(id)
    })
  })()
  return { p, file, root, ids, classes }
}
