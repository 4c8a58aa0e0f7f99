/**
 * Real project files for the API/server/Electron tests: the store API (createProject, ensureClasses,
 * runs.writePredictions) plus plain SQL inserts into datasets/images/annotations, and real PNG files
 * made with sharp. Audits come from the real audit engine (runAudit) over seeded predictions.
 */
import { mkdirSync, writeFileSync } from 'node:fs'
import { createHash } from 'node:crypto'
import { join } from 'node:path'
import sharp from 'sharp'
import { type DB } from '../../../src-main/core/store/db'
import { createProject } from '../../../src-main/core/project'
import { ensureClasses, setMeta } from '../../../src-main/core/store/meta'
import { SEVEN_CLASSES } from '../../../src-main/core/classes'
import { createRun, finishRun, writePredictions, type PredictionInput } from '../../../src-main/core/store/runs'
import { runAudit } from '../../../src-main/core/audit/store'
import type { ApiResult } from '../../../src-main/core/api/contract'
import { createApi, type Api } from '../../../src-main/core/api/handlers'
import { tempDir } from '../../helpers/tmp'

/** Deterministic PRNG (mulberry32). */
export function rng(seed: number): () => number {
  let a = seed >>> 0
  return () => {
    a = (a + 0x6d2b79f5) >>> 0
    let t = a
    t = Math.imul(t ^ (t >>> 15), t | 1)
    t ^= t + Math.imul(t ^ (t >>> 7), t | 61)
    return ((t ^ (t >>> 14)) >>> 0) / 4294967296
  }
}

export interface ProjectFixture {
  file: string
  root: string
  ids: number[]
}

/**
 * Creates `<dir>/p.poi` with `n` images labelled round-robin over the 7 classes in dataset root
 * `<dir>/data`; with `files`, each image is a real 24×24 PNG (distinct colour). Closes the file.
 */
export async function makeProjectFile(
  dir: string,
  n: number,
  opts: { files?: boolean; name?: string } = {}
): Promise<ProjectFixture> {
  const file = join(dir, opts.name ?? 'p.poi')
  const root = join(dir, 'data')
  mkdirSync(join(root, 'imgs'), { recursive: true })
  const bytes: Buffer[] = []
  if (opts.files) {
    for (let i = 0; i < n; i++) {
      const png = await sharp({
        create: { width: 24, height: 24, channels: 3, background: { r: (i * 37) % 256, g: (i * 91) % 256, b: 128 } }
      })
        .png()
        .toBuffer()
      writeFileSync(join(root, 'imgs', `img${i + 1}.png`), png)
      bytes.push(png)
    }
  }
  const p = createProject(file)
  try {
    seedRows(p.db, root, n, bytes)
  } finally {
    p.close()
  }
  return { file, root, ids: Array.from({ length: n }, (_, i) => i + 1) }
}

/** Inserts the dataset, import, image and annotation rows (ids 1..n). */
export function seedRows(db: DB, root: string, n: number, bytes: Buffer[] = []): void {
  ensureClasses(db, SEVEN_CLASSES)
  setMeta(db, 'name', 'fixture')
  const now = new Date().toISOString()
  db.transaction(() => {
    db.prepare('INSERT INTO datasets (id, root, added_at) VALUES (1, ?, ?)').run(root, now)
    db.prepare(
      "INSERT INTO imports (id, dataset_id, format, source, started_at, finished_at, report) VALUES (1, 1, 'folder', ?, ?, ?, '{\"images\":1}')"
    ).run(root, now, now)
    const img = db.prepare(
      `INSERT INTO images (id, dataset_id, rel_path, sha256, byte_size, format, width, height, channels, split, decode_status, dup_group, import_id)
       VALUES (?, 1, ?, ?, ?, 'png', 24, 24, 3, ?, 'ok', ?, 1)`
    )
    const ann = db.prepare(
      `INSERT INTO annotations (image_id, original_label, current_label, state, original_state, updated_at) VALUES (?, ?, ?, 'labeled', 'labeled', ?)`
    )
    for (let i = 1; i <= n; i++) {
      const b = bytes[i - 1]
      const sha = b ? createHash('sha256').update(b).digest('hex') : `sha-${i}`
      // Images 1 and 2 are byte-identical duplicates in the metadata (dup group 1).
      img.run(i, `imgs/img${i}.png`, sha, b?.byteLength ?? 100, i % 10 === 0 ? 'test' : 'train', i <= 2 ? 1 : null)
      ann.run(i, i % 7, i % 7, now)
    }
  })()
}

function softmaxPeak(C: number, peak: number, strength: number, r: () => number): number[] {
  const v = Array.from({ length: C }, (_, k) => (k === peak ? strength : 0) + r() * 0.5)
  const s = v.reduce((a, b) => a + b, 0)
  return v.map((x) => x / s)
}

/**
 * A finished POI run with a prediction for every image: about `noise` of the images get peaks on
 * another class (the label errors an audit should surface). Returns the run id.
 */
export function addRun(db: DB, ids: number[], seed = 1, noise = 0.2): number {
  const r = rng(seed)
  const C = SEVEN_CLASSES.length
  const runId = createRun(db, { kind: 'poi', config: { seed }, classes: SEVEN_CLASSES, backend: 'cpu' })
  const label = db.prepare('SELECT current_label AS c FROM annotations WHERE image_id = ?')
  const preds: PredictionInput[] = ids.map((imageId) => {
    const y = (label.get(imageId) as { c: number }).c
    const peak = r() < noise ? (y + 1 + Math.floor(r() * (C - 1))) % C : y
    const trn = softmaxPeak(C, peak, 4, r)
    const regions = [0, 1, 2, 3].flatMap(() => softmaxPeak(C, r() < 0.8 ? peak : Math.floor(r() * C), 3, r))
    const g = [r() + 0.1, r() + 0.1, r() + 0.1, r() + 0.1]
    const gs = g.reduce((a, b) => a + b, 0)
    return {
      imageId,
      fold: null,
      trnProbs: trn,
      oimSoft: softmaxPeak(C, peak, 2, r),
      oimSoftT1: softmaxPeak(C, peak, 4, r),
      regionProbs: regions,
      gate: g.map((x) => x / gs),
      uemUncertainty: r() * 0.75,
      uemConfidence: r(),
      auProb: Array.from({ length: 26 }, () => r()),
      auImportance: Array.from({ length: 26 }, () => r())
    }
  })
  writePredictions(db, runId, preds)
  finishRun(db, runId, { status: 'done', metrics: { valAcc: 0.5 } })
  return runId
}

/** Runs the real audit engine over a run; returns the audit id. */
export function addAudit(db: DB, runId: number): Promise<number> {
  return runAudit(db, runId)
}

/** The value of an API answer; throws with its code and message when the call failed. */
export function apiValue<T>(r: ApiResult<unknown>): T {
  if (!r.ok) throw new Error(`${r.code}: ${r.message}`)
  return r.value as T
}

/** A fresh `n`-image project (makeProjectFile) in a temp dir, opened by a new test-mode API; `close` ends both. */
export async function openFixtureApi(
  prefix: string,
  n: number
): Promise<{ api: Api; f: ProjectFixture; close: () => Promise<void> }> {
  const t = tempDir(prefix)
  const f = await makeProjectFile(t.dir, n)
  const api = createApi({ mode: 'test' })
  apiValue(await api.dispatch('project.open', { path: f.file }))
  return {
    api,
    f,
    close: async () => {
      await api.close()
      t.cleanup()
    }
  }
}
