/**
 * Feeds compare-runs.ts from the project database: each run's stored TRN probabilities (in the
 * project's class order), the project's current labels and splits, and the labels each run trained on.
 *
 * The labels a run trained on are reconstructed from the append-only label history: the project's
 * current annotation, rolled back past every change made after the run read its labels. Runs record
 * that point as `runs.config.labelsAsOf.historyId` (the newest history entry when the run started;
 * train/start.ts); older runs fall back to their start time. Only images in state 'labeled' with a
 * label count (ambiguous, excluded … are not trained on). A run trained on injected labels (benchmarks'
 * `train({labels})`) cannot be reconstructed this way.
 */
import type { DB } from '../store/db'
import { ProjectError } from '../store/errors'
import { getClasses } from '../store/meta'
import { decodeF32, getRun, type RunInfo } from '../store/runs'
import {
  compareRuns,
  type CompareImage,
  type CompareRunInput,
  type RunComparison,
  type SplitName
} from './compare-runs'

interface AnnRow {
  id: number
  split: SplitName | null
  state: string | null
  label: number | null
}

/** The run, checked: it exists, it finished, it has predictions. */
function requireRun(db: DB, runId: number): RunInfo {
  const run = getRun(db, runId)
  if (!run) throw new ProjectError('NOT_FOUND', `no run ${runId} in this project`)
  if (run.status !== 'done')
    throw new ProjectError('INVALID', `run ${runId} is ${run.status}; only finished runs can be compared`)
  return run
}

/** imageId → p̂ of the run in the project's class order (classes the run did not know get 0). */
export function runProbs(
  db: DB,
  run: Pick<RunInfo, 'id' | 'classes'>,
  projectClasses: readonly string[]
): Map<number, Float32Array> {
  const toRun = projectClasses.map((c) => run.classes.indexOf(c))
  const out = new Map<number, Float32Array>()
  const rows = db
    .prepare('SELECT image_id AS id, trn_probs AS probs FROM predictions WHERE run_id = ?')
    .all(run.id) as { id: number; probs: Buffer }[]
  for (const r of rows) {
    const v = decodeF32(r.probs)
    out.set(
      r.id,
      Float32Array.from(toRun, (k) => (k >= 0 ? v[k] : 0))
    )
  }
  if (!out.size)
    throw new ProjectError('INVALID', `run ${run.id} has no predictions to compare (it was trained with --no-score?)`)
  return out
}

/** The labels the project had when `run` read them (see the header), as imageId → class index. */
export function labelsAtRun(
  db: DB,
  run: Pick<RunInfo, 'config' | 'startedAt'>,
  classCount: number
): Map<number, number> {
  const asOf = (run.config as { labelsAsOf?: { historyId?: unknown } } | null)?.labelsAsOf?.historyId
  const later =
    typeof asOf === 'number'
      ? 'SELECT min(id) FROM label_history WHERE id > ? GROUP BY image_id'
      : 'SELECT min(id) FROM label_history WHERE at > ? GROUP BY image_id'
  const rolledBack = db
    .prepare(`SELECT image_id AS id, old_state AS state, old_label AS label FROM label_history WHERE id IN (${later})`)
    .all(typeof asOf === 'number' ? asOf : run.startedAt) as AnnRow[]
  const current = db
    .prepare(
      `SELECT i.id, a.state, a.current_label AS label FROM images i JOIN annotations a ON a.image_id = i.id WHERE i.decode_status = 'ok'`
    )
    .all() as AnnRow[]
  const byId = new Map(current.map((r) => [r.id, r]))
  for (const r of rolledBack) if (byId.has(r.id)) byId.set(r.id, r)
  const out = new Map<number, number>()
  for (const r of byId.values()) {
    if (r.state === 'labeled' && r.label != null && r.label >= 0 && r.label < classCount) out.set(r.id, r.label)
  }
  return out
}

/** Compares run `a` (before) with run `b` (after): see compare-runs.ts for what each figure means. */
export function compareStoredRuns(db: DB, a: number, b: number): RunComparison {
  if (a === b) throw new ProjectError('INVALID', `compare needs two different runs (got ${a} twice)`)
  const classes = getClasses(db)
  const ra = requireRun(db, a)
  const rb = requireRun(db, b)
  const images = (
    db
      .prepare(
        `SELECT i.id, i.split, a.state, a.current_label AS label FROM images i LEFT JOIN annotations a ON a.image_id = i.id
         WHERE i.decode_status = 'ok' ORDER BY i.id`
      )
      .all() as AnnRow[]
  ).map((r): CompareImage => ({
    imageId: r.id,
    split: r.split,
    label: r.state === 'labeled' && r.label != null && r.label < classes.length ? r.label : null
  }))
  const input = (run: RunInfo): CompareRunInput => ({
    runId: run.id,
    probs: runProbs(db, run, classes),
    trainedLabels: labelsAtRun(db, run, classes.length)
  })
  return compareRuns(classes, images, input(ra), input(rb))
}
