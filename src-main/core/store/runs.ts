/**
 * Training runs and their per-image outputs (`runs`, `run_epochs`, `predictions` of migration 0010).
 * Float vectors are little-endian Float32 BLOBs; every read checks the length against the run's
 * class count, so a BLOB written for another class list is refused instead of misread.
 */
import { endianness } from 'node:os'
import type { DB } from './db'
import { nowIso } from './db'
import { ProjectError } from './errors'
import { AU_VECTOR_LENGTH, REGION_COUNT } from '../model/prediction-layout'

export type RunKind = 'poi' | 'ce' | 'poi-kfold' | 'ce-kfold'
export type RunStatus = 'running' | 'done' | 'failed' | 'cancelled'

export interface RunInfo {
  id: number
  kind: RunKind
  name: string | null
  /** The full training configuration (JSON). */
  config: unknown
  /** The class list the run's outputs index (a copy of the project's list at training time). */
  classes: string[]
  backend: string | null
  status: RunStatus
  startedAt: string
  finishedAt: string | null
  metrics: unknown
  checkpoint: string | null
  error: string | null
  /** Stored columns that are no longer valid JSON (read as null). */
  damaged?: string[]
}

/** The POI outputs of one image (spec §5). C = the run's class count. */
export interface Prediction {
  imageId: number
  /** k-fold: the held-out fold whose model scored the image; null = scored by the in-training model. */
  fold: number | null
  /** p̂ = softmax(s), length C. */
  trnProbs: Float32Array
  /** q at the training temperature T, length C. */
  oimSoft: Float32Array | null
  /** q at T = 1, length C. */
  oimSoftT1: Float32Array | null
  /** p_ij at T = 1, length 4·C, regions UL, UR, LL, LR (row-major: region then class). */
  regionProbs: Float32Array | null
  /** g_i, length 4 (UL, UR, LL, LR), sums to 1. */
  gate: Float32Array | null
  uemUncertainty: number | null
  /** c_i in [0, 1]; 1 = the four regions agree. */
  uemConfidence: number | null
  /** ρ, length 26: UL 6, UR 6 (EYE_AUS order), LL 7, LR 7 (MOUTH_AUS order). */
  auProb: Float32Array | null
  /** w, same layout as auProb. */
  auImportance: Float32Array | null
}

interface RunRow {
  id: number
  kind: RunKind
  name: string | null
  config: string
  classes: string
  backend: string | null
  status: RunStatus
  started_at: string
  finished_at: string | null
  metrics: string | null
  checkpoint: string | null
  error: string | null
  /** Stored columns that are no longer valid JSON (read as null). */
  damaged?: string[]
}

/** A JSON column of a run; `undefined` when the stored text does not parse. */
function parseColumn(text: string): unknown {
  try {
    return JSON.parse(text)
  } catch {
    return undefined
  }
}

/**
 * A run without its config or class list cannot be used, so those refuse with the run and column
 * named; damaged metrics (informational only) read as null and are listed in `damaged`.
 */
function toRun(r: RunRow): RunInfo {
  const need = (column: 'config' | 'classes'): unknown => {
    const v = parseColumn(r[column])
    if (v === undefined)
      throw new ProjectError('CORRUPT', `run ${r.id}: the stored ${column} is not valid JSON (damaged record)`)
    return v
  }
  const metrics = r.metrics ? parseColumn(r.metrics) : null
  return {
    id: r.id,
    kind: r.kind,
    name: r.name,
    config: need('config'),
    classes: need('classes') as string[],
    backend: r.backend,
    status: r.status,
    startedAt: r.started_at,
    finishedAt: r.finished_at,
    metrics: metrics ?? null,
    checkpoint: r.checkpoint,
    error: r.error,
    ...(metrics === undefined ? { damaged: ['metrics'] } : {})
  }
}

export interface NewRun {
  kind: RunKind
  name?: string | null
  config: unknown
  classes: readonly string[]
  backend?: string | null
}

/** Records a new run in state 'running'; returns its id. */
export function createRun(db: DB, run: NewRun): number {
  if (!run.classes.length) throw new ProjectError('INVALID', 'a run needs at least one class')
  const r = db
    .prepare('INSERT INTO runs (kind, name, config, classes, backend, status, started_at) VALUES (?, ?, ?, ?, ?, ?, ?)')
    .run(
      run.kind,
      run.name ?? null,
      JSON.stringify(run.config ?? {}),
      JSON.stringify(run.classes),
      run.backend ?? null,
      'running',
      nowIso()
    )
  return Number(r.lastInsertRowid)
}

/** Ends a run: status, metrics, error and checkpoint path. */
export function finishRun(
  db: DB,
  runId: number,
  end: { status: Exclude<RunStatus, 'running'>; metrics?: unknown; error?: string | null; checkpoint?: string | null }
): void {
  const r = db
    .prepare(
      'UPDATE runs SET status = ?, finished_at = ?, metrics = ?, error = ?, checkpoint = coalesce(?, checkpoint) WHERE id = ?'
    )
    .run(
      end.status,
      nowIso(),
      end.metrics === undefined ? null : JSON.stringify(end.metrics),
      end.error ?? null,
      end.checkpoint ?? null,
      runId
    )
  if (!r.changes) throw new ProjectError('INVALID', `no run ${runId}`)
}

/** Marks a finished/cancelled/failed run as running again (resume). */
export function reopenRun(db: DB, runId: number): void {
  const r = db.prepare("UPDATE runs SET status = 'running', finished_at = NULL, error = NULL WHERE id = ?").run(runId)
  if (!r.changes) throw new ProjectError('INVALID', `no run ${runId}`)
}

/** Points the run's `checkpoint` column at its newest checkpoint folder. */
export function setRunCheckpoint(db: DB, runId: number, path: string): void {
  const r = db.prepare('UPDATE runs SET checkpoint = ? WHERE id = ?').run(path, runId)
  if (!r.changes) throw new ProjectError('INVALID', `no run ${runId}`)
}

export function getRun(db: DB, runId: number): RunInfo | null {
  const r = db.prepare('SELECT * FROM runs WHERE id = ?').get(runId) as RunRow | undefined
  return r ? toRun(r) : null
}

/** Runs, newest first. */
export function listRuns(db: DB): RunInfo[] {
  return (db.prepare('SELECT * FROM runs ORDER BY id DESC').all() as RunRow[]).map(toRun)
}

/** The newest run that finished ('done'), or null. */
export function latestDoneRun(db: DB): RunInfo | null {
  const r = db.prepare("SELECT * FROM runs WHERE status = 'done' ORDER BY id DESC LIMIT 1").get() as RunRow | undefined
  return r ? toRun(r) : null
}

/** Stores one epoch's metrics (fold -1 = the single, non-k-fold model). */
export function addEpoch(db: DB, runId: number, epoch: number, metrics: unknown, fold = -1): void {
  db.prepare(
    `INSERT INTO run_epochs (run_id, fold, epoch, metrics) VALUES (?, ?, ?, ?)
     ON CONFLICT(run_id, fold, epoch) DO UPDATE SET metrics = excluded.metrics`
  ).run(runId, fold, epoch, JSON.stringify(metrics))
}

export function listEpochs(db: DB, runId: number): { fold: number; epoch: number; metrics: unknown }[] {
  return (
    db.prepare('SELECT fold, epoch, metrics FROM run_epochs WHERE run_id = ? ORDER BY fold, epoch').all(runId) as {
      fold: number
      epoch: number
      metrics: string
    }[]
  ).map((r) => ({ fold: r.fold, epoch: r.epoch, metrics: JSON.parse(r.metrics) }))
}

const LITTLE_ENDIAN = endianness() === 'LE'

/** Float32 values → little-endian BLOB. */
export function encodeF32(v: ArrayLike<number>): Buffer {
  const f = v instanceof Float32Array ? v : Float32Array.from(v)
  if (LITTLE_ENDIAN) return Buffer.from(f.buffer.slice(f.byteOffset, f.byteOffset + f.byteLength))
  const b = Buffer.alloc(f.length * 4)
  f.forEach((x, i) => b.writeFloatLE(x, i * 4))
  return b
}

/**
 * Little-endian BLOB → Float32Array. better-sqlite3 hands out a fresh Buffer per BLOB, so an
 * aligned one is viewed in place (no copy); an unaligned one is copied.
 */
export function decodeF32(b: Buffer | Uint8Array): Float32Array {
  if (b.byteLength % 4)
    throw new ProjectError('CORRUPT', `a Float32 BLOB has ${b.byteLength} bytes (not a multiple of 4)`)
  if (LITTLE_ENDIAN && b.byteOffset % 4 === 0) return new Float32Array(b.buffer, b.byteOffset, b.byteLength / 4)
  const out = new Float32Array(b.byteLength / 4)
  if (LITTLE_ENDIAN) new Uint8Array(out.buffer).set(b)
  else {
    const dv = new DataView(b.buffer, b.byteOffset, b.byteLength)
    for (let i = 0; i < out.length; i++) out[i] = dv.getFloat32(i * 4, true)
  }
  return out
}

function checkLen(name: string, imageId: number, v: ArrayLike<number> | null, want: number): void {
  if (v == null) return
  if (v.length !== want)
    throw new ProjectError(
      'INVALID',
      `prediction for image ${imageId}: ${name} has ${v.length} values, expected ${want}`
    )
  for (let i = 0; i < v.length; i++) {
    if (!Number.isFinite(v[i]))
      throw new ProjectError('INVALID', `prediction for image ${imageId}: ${name}[${i}] is ${v[i]}`)
  }
}

/** The input form of a prediction: plain number arrays are accepted too. */
export type PredictionInput = {
  [K in keyof Prediction]: Prediction[K] extends Float32Array | null ? ArrayLike<number> | null : Prediction[K]
} & {
  trnProbs: ArrayLike<number>
}

/**
 * Writes (or replaces) predictions of a run in one transaction. Lengths are checked against the
 * run's class count; a bad row aborts the whole batch with an error naming image and field.
 */
export function writePredictions(db: DB, runId: number, preds: Iterable<PredictionInput>): number {
  const run = getRun(db, runId)
  if (!run) throw new ProjectError('INVALID', `no run ${runId}`)
  const C = run.classes.length
  const ins = db.prepare(
    `INSERT OR REPLACE INTO predictions (run_id, image_id, fold, trn_probs, oim_soft, oim_soft_t1, region_probs, gate,
       uem_uncertainty, uem_confidence, au_prob, au_importance) VALUES (?, ?, ?, ?, ?, ?, ?, ?, ?, ?, ?, ?)`
  )
  const blob = (v: ArrayLike<number> | null): Buffer | null => (v == null ? null : encodeF32(v))
  let n = 0
  db.transaction(() => {
    for (const p of preds) {
      checkLen('trnProbs', p.imageId, p.trnProbs, C)
      checkLen('oimSoft', p.imageId, p.oimSoft, C)
      checkLen('oimSoftT1', p.imageId, p.oimSoftT1, C)
      checkLen('regionProbs', p.imageId, p.regionProbs, REGION_COUNT * C)
      checkLen('gate', p.imageId, p.gate, REGION_COUNT)
      checkLen('auProb', p.imageId, p.auProb, AU_VECTOR_LENGTH)
      checkLen('auImportance', p.imageId, p.auImportance, AU_VECTOR_LENGTH)
      ins.run(
        runId,
        p.imageId,
        p.fold,
        blob(p.trnProbs),
        blob(p.oimSoft),
        blob(p.oimSoftT1),
        blob(p.regionProbs),
        blob(p.gate),
        p.uemUncertainty,
        p.uemConfidence,
        blob(p.auProb),
        blob(p.auImportance)
      )
      n++
    }
  }).immediate()
  return n
}

interface PredRow {
  image_id: number
  fold: number | null
  trn_probs: Buffer
  oim_soft: Buffer | null
  oim_soft_t1: Buffer | null
  region_probs: Buffer | null
  gate: Buffer | null
  uem_uncertainty: number | null
  uem_confidence: number | null
  au_prob: Buffer | null
  au_importance: Buffer | null
}

function toPrediction(r: PredRow, C: number, runId: number): Prediction {
  const dec = (name: string, b: Buffer | null, want: number): Float32Array | null => {
    if (b == null) return null
    const v = decodeF32(b)
    if (v.length !== want) {
      throw new ProjectError(
        'CORRUPT',
        `run ${runId}, image ${r.image_id}: ${name} has ${v.length} values, expected ${want}`
      )
    }
    return v
  }
  return {
    imageId: r.image_id,
    fold: r.fold,
    trnProbs: dec('trn_probs', r.trn_probs, C)!,
    oimSoft: dec('oim_soft', r.oim_soft, C),
    oimSoftT1: dec('oim_soft_t1', r.oim_soft_t1, C),
    regionProbs: dec('region_probs', r.region_probs, REGION_COUNT * C),
    gate: dec('gate', r.gate, REGION_COUNT),
    uemUncertainty: r.uem_uncertainty,
    uemConfidence: r.uem_confidence,
    auProb: dec('au_prob', r.au_prob, AU_VECTOR_LENGTH),
    auImportance: dec('au_importance', r.au_importance, AU_VECTOR_LENGTH)
  }
}

/** Iterates a run's predictions in image-id order (streaming; constant memory). */
export function* iteratePredictions(db: DB, runId: number): Generator<Prediction> {
  const run = getRun(db, runId)
  if (!run) throw new ProjectError('INVALID', `no run ${runId}`)
  const C = run.classes.length
  const it = db
    .prepare('SELECT * FROM predictions WHERE run_id = ? ORDER BY image_id')
    .iterate(runId) as IterableIterator<PredRow>
  for (const r of it) yield toPrediction(r, C, runId)
}

/** All predictions of a run, in image-id order (one `.all()`, faster than iterating row by row). */
export function readPredictions(db: DB, runId: number): Prediction[] {
  const run = getRun(db, runId)
  if (!run) throw new ProjectError('INVALID', `no run ${runId}`)
  const rows = db.prepare('SELECT * FROM predictions WHERE run_id = ? ORDER BY image_id').all(runId) as PredRow[]
  return rows.map((r) => toPrediction(r, run.classes.length, runId))
}

/** One image's prediction from a run, or null. */
export function getPrediction(db: DB, runId: number, imageId: number): Prediction | null {
  const run = getRun(db, runId)
  if (!run) throw new ProjectError('INVALID', `no run ${runId}`)
  const r = db.prepare('SELECT * FROM predictions WHERE run_id = ? AND image_id = ?').get(runId, imageId) as
    PredRow | undefined
  return r ? toPrediction(r, run.classes.length, runId) : null
}

/** Counts of a run's predictions: total, and how many are out-of-sample (fold not null). */
export function predictionCounts(db: DB, runId: number): { total: number; outOfSample: number } {
  const r = db.prepare('SELECT count(*) AS total, count(fold) AS oos FROM predictions WHERE run_id = ?').get(runId) as {
    total: number
    oos: number
  }
  return { total: r.total, outOfSample: r.oos }
}
