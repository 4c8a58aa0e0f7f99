/**
 * `train()`: one training run of the POI network (or the CE baseline) on a project, start to finish:
 * compute backend, the run and its partition (start.ts: new or resumed; val split or k folds), model
 * inputs (pixel cache with augmentation, or a frozen backbone's feature cache), one model per fold
 * (fold.ts: the SGD loop, validation, checkpoints, scoring), and the run's outcome (done, cancelled,
 * failed) with its metrics.
 *
 * Determinism: model init from the seed; each epoch's order and each step's augmentation from
 * (seed, fold, epoch, step). Resuming from a checkpoint therefore continues exactly as an
 * uninterrupted run would (same backend).
 */
import { initCompute, describeCompute, type ComputeInfo, type ComputeOptions } from '../compute/backend'
import { openProject, type Project } from '../project'
import type { DB } from '../store/db'
import { ProjectError } from '../store/errors'
import { getClasses } from '../store/meta'
import { describeTrainConfig, type TrainConfig, type TrainConfigInput } from '../run/config'
import { openInputs, type ModelInputs } from '../data/inputs'
import { dbRunStore, type RunStore } from '../run/store'
import { Cancelled, trainFold, type FoldContext, type StepClock } from './fold'
import type { EpochMetrics, ProgressEmit, RunMetrics, TrainProgressEvent } from './progress'
import { partition, startRun } from './start'
import { runsDirFor } from '../run/paths'
import { voteTargets } from '../store/votes'

export type { EpochMetrics, LossTerms, RunMetrics, TrainProgressEvent } from './progress'

export interface TrainOptions {
  /** The project file (opened read-only when `store` is given, else for writing). */
  projectPath?: string
  /** An open connection instead of `projectPath`. */
  db?: DB
  config?: TrainConfigInput
  /** Continue this run from its latest checkpoint (its config is used; `config` is ignored). */
  resumeFrom?: number
  name?: string
  /** Recorded in the new run's config (`parentRunId`): the run it retrains (run/run.ts fromRunJob). */
  parentRunId?: number
  signal?: AbortSignal
  progress?: (e: TrainProgressEvent) => void
  /** Where records go (default: `db`, which must then be writable). */
  store?: RunStore
  compute?: ComputeOptions
  /** Checkpoint root (default `<project>.runs/` next to the project file). */
  runsDir?: string
  /** Checkpoints kept per model (default 2). */
  keepCheckpoints?: number
  /** Labels to train on instead of the project's current labels (benchmarks inject noise this way). */
  labels?: ReadonlyMap<number, number>
}

export interface TrainResult {
  runId: number
  status: 'done' | 'cancelled'
  config: TrainConfig
  metrics: RunMetrics
  checkpoint: string | null
  compute: { backend: string; reason: string }
}

export async function train(o: TrainOptions): Promise<TrainResult> {
  if (!o.db && !o.projectPath) throw new Error('train: give projectPath or db')
  const own: Project | null = o.db ? null : openProject(o.projectPath!, { readonly: !!o.store })
  const db = o.db ?? own!.db
  try {
    return await trainOn(db, o.projectPath ?? db.name, o)
  } finally {
    own?.close()
  }
}

/** The run: start or resume it, open the inputs, train each fold's model, record the outcome. */
async function trainOn(db: DB, projectPath: string, o: TrainOptions): Promise<TrainResult> {
  const t0 = performance.now()
  const info: ComputeInfo = await initCompute(o.compute ?? {})
  const backend = describeCompute(info)
  const store = o.store ?? dbRunStore(db)
  const classes = getClasses(db)
  if (classes.length < 2)
    throw new ProjectError(
      'INVALID',
      `the project has ${classes.length} class(es); training needs at least 2 (import labelled images first)`
    )
  const { runId, cfg, modelConfig, resume } = await startRun(db, store, o, info, classes, backend)
  const emitBase = { runId, backend, backendReason: info.reason, folds: cfg.kfold, epochs: cfg.epochs }
  const progress: ProgressEmit = (e) =>
    o.progress?.({
      fold: -1,
      epoch: 0,
      step: 0,
      steps: 0,
      lossTerms: {},
      trainAcc: null,
      valAcc: null,
      imgPerSec: null,
      etaSeconds: null,
      ...emitBase,
      ...e
    })
  const result = (status: TrainResult['status'], metrics: RunMetrics): TrainResult => ({
    runId,
    status,
    config: cfg,
    metrics,
    checkpoint,
    compute: { backend, reason: info.reason }
  })

  let inputs: ModelInputs | null = null
  let checkpoint: string | null = resume?.path ?? null
  try {
    const part = partition(db, cfg, classes.length, o.labels)
    progress({ phase: 'prepare', message: describeTrainConfig(cfg) })
    inputs = await openInputs(cfg, {
      db,
      projectPath,
      ids: part.needed,
      signal: o.signal,
      progress: (e) =>
        progress({
          phase: 'features',
          done: e.done,
          total: e.total,
          message: e.reused ? `${e.reused} from the feature cache` : undefined
        })
    })
    const clock: StepClock = {
      total: part.jobs.reduce((a, j) => a + j.steps * cfg.epochs, 0),
      done: 0,
      seconds: 0,
      timed: 0
    }
    const history: EpochMetrics[] = (resume?.manifest.history as EpochMetrics[] | undefined) ?? []
    const ctx: FoldContext = {
      cfg,
      runId,
      modelConfig,
      inputs,
      labels: part.labels,
      // Votes as soft targets, unless turned off or the labels are injected (benchmarks' noisy labels).
      softTargets: cfg.softTargets !== false && !o.labels ? voteTargets(db, classes.length) : undefined,
      store,
      signal: o.signal,
      progress,
      runDir: runsDirFor(projectPath, runId, o.runsDir),
      keepCheckpoints: o.keepCheckpoints ?? 2,
      history,
      resume,
      clock,
      onCheckpoint: (path) => void (checkpoint = path)
    }
    let scored = 0
    let trainSeconds = 0
    for (const job of part.jobs) {
      // Folds a resumed run had already finished.
      if (resume && job.fold < resume.manifest.position.fold) {
        clock.done += job.steps * cfg.epochs
        continue
      }
      const r = await trainFold(ctx, job)
      scored += r.scored
      trainSeconds += r.trainSeconds
    }
    const finals = part.jobs.flatMap((j) => history.filter((h) => h.fold === j.fold).slice(-1))
    const { plan, split } = part
    const metrics: RunMetrics = {
      epochs: cfg.epochs,
      folds: cfg.kfold,
      valSource: plan ? 'kfold' : split!.valSource,
      trainImages: plan ? plan.train[0].length : split!.train.length,
      valImages: plan ? plan.val.reduce((a, v) => a + v.length, 0) : split!.val.length,
      scored,
      final: finals,
      seconds: (performance.now() - t0) / 1000,
      trainSeconds,
      backend
    }
    await store.finishRun(runId, { status: 'done', metrics, checkpoint })
    progress({ phase: 'done', epoch: cfg.epochs, valAcc: finals.at(-1)?.valAcc ?? null })
    return result('done', metrics)
  } catch (e) {
    // Whatever was interrupted (a step, validation, feature extraction, scoring), an abort means cancelled.
    if (e instanceof Cancelled || o.signal?.aborted) {
      await store.finishRun(runId, { status: 'cancelled', checkpoint, error: null })
      return result('cancelled', {
        epochs: cfg.epochs,
        folds: cfg.kfold,
        valSource: '',
        trainImages: 0,
        valImages: 0,
        scored: 0,
        final: [],
        seconds: (performance.now() - t0) / 1000,
        trainSeconds: 0,
        backend
      })
    }
    await store
      .finishRun(runId, { status: 'failed', error: (e as Error)?.message ?? String(e), checkpoint })
      .catch(() => undefined)
    throw e
  } finally {
    inputs?.release()
  }
}
