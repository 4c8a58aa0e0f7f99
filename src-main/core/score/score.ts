/**
 * Scoring a finished run into `predictions`:
 *  - in-training: the run's final model scores every decoded image (fold = null);
 *  - out-of-sample k-fold: k new models are trained with the run's configuration, each on the
 *    images outside its fold, and each scores only its own fold (fold recorded), so no image is
 *    scored by a model that saw it. This makes a new run (kind '<mode>-kfold').
 */
import { initCompute, type ComputeOptions } from '../compute/backend'
import { identityFeatures } from '../model/backbone'
import { createPoiModel } from '../model/poi-model'
import { openProject, type Project } from '../project'
import type { DB } from '../store/db'
import { ProjectError } from '../store/errors'
import { getClasses } from '../store/meta'
import { loadCheckpoint } from '../train/checkpoint'
import { isFrozenBackbone, parseTrainConfig, type TrainConfig } from '../train/config'
import { loadDataset } from '../train/data'
import { openInputs } from '../train/inputs'
import { dbRunStore, type RunStore } from '../train/run-store'
import { train, type TrainProgressEvent, type TrainResult } from '../train/train'
import { scoreImages, type ScoreProgress } from './predict'

export interface ScoreRunOptions {
  projectPath?: string
  db?: DB
  runId: number
  /** 0/undefined = in-training with the run's model; k ≥ 2 = a new k-fold run. */
  kfold?: number
  signal?: AbortSignal
  progress?: (e: ScoreProgress | TrainProgressEvent) => void
  store?: RunStore
  compute?: ComputeOptions
  runsDir?: string
  batchSize?: number
}

export interface ScoreRunResult {
  /** The run whose predictions were written (a new run for k-fold). */
  runId: number
  mode: 'in-training' | 'kfold'
  scored: number
  status: 'done' | 'cancelled'
  train?: TrainResult
}

/** The training config stored with a run (runs.config.train). */
export function runTrainConfig(config: unknown, runId: number): TrainConfig {
  const c = (config as { train?: unknown } | null)?.train
  if (!c) throw new ProjectError('INVALID', `run ${runId} has no training configuration (was it made by this trainer?)`)
  return parseTrainConfig(c, `run ${runId} config`)
}

export async function scoreRun(o: ScoreRunOptions): Promise<ScoreRunResult> {
  if (!o.db && !o.projectPath) throw new Error('scoreRun: give projectPath or db')
  const own: Project | null = o.db ? null : openProject(o.projectPath!, { readonly: !!o.store })
  const db = o.db ?? own!.db
  try {
    const store = o.store ?? dbRunStore(db)
    const run = await store.getRun(o.runId)
    if (!run) throw new ProjectError('INVALID', `no run ${o.runId} in this project`)
    const cfg = runTrainConfig(run.config, run.id)
    if (o.kfold && o.kfold >= 2) {
      const r = await train({
        db,
        projectPath: o.projectPath ?? db.name,
        config: { ...cfg, kfold: o.kfold, scoreAfter: true },
        name: `${o.kfold}-fold scores of run ${run.id}`,
        signal: o.signal,
        progress: o.progress,
        store,
        compute: o.compute,
        runsDir: o.runsDir
      })
      return { runId: r.runId, mode: 'kfold', scored: r.metrics.scored, status: r.status, train: r }
    }
    if (run.status !== 'done') throw new ProjectError('INVALID', `run ${run.id} is '${run.status}'; only a finished run can score (resume it first)`)
    if (cfg.kfold >= 2) throw new ProjectError('INVALID', `run ${run.id} is a ${cfg.kfold}-fold run; its out-of-sample scores were written when it trained`)
    if (!run.checkpoint) throw new ProjectError('INVALID', `run ${run.id} has no checkpoint`)
    await initCompute(o.compute ?? {})
    const classes = getClasses(db)
    if (run.classes.join() !== classes.join()) throw new ProjectError('INVALID', `run ${run.id} predicts ${run.classes.join(', ')}; the project now has ${classes.join(', ')}`)
    const ckpt = await loadCheckpoint(run.checkpoint)
    const model = createPoiModel(ckpt.manifest.modelConfig, isFrozenBackbone(cfg.backbone) ? { frozenExtractor: identityFeatures } : {})
    try {
      model.setWeights(ckpt.weights)
      const ids = loadDataset(db, classes.length).images.map((i) => i.imageId)
      const inputs = await openInputs(cfg, { db, projectPath: o.projectPath ?? db.name, ids, signal: o.signal })
      try {
        const preds = await scoreImages(model, inputs, ids, { fold: null, signal: o.signal, batchSize: o.batchSize, progress: o.progress })
        let scored = 0
        for (let s = 0; s < preds.length; s += 2000) scored += await store.writePredictions(run.id, preds.slice(s, s + 2000))
        return { runId: run.id, mode: 'in-training', scored, status: 'done' }
      } finally {
        inputs.release()
      }
    } catch (e) {
      if (o.signal?.aborted) return { runId: run.id, mode: 'in-training', scored: 0, status: 'cancelled' }
      throw e
    } finally {
      model.dispose()
    }
  } finally {
    own?.close()
  }
}
