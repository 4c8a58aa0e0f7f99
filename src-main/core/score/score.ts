/**
 * In-training scoring of a finished run into `predictions`: the run's final model scores every
 * decoded image (fold = null). Out-of-sample k-fold scores are a new training run (k models, each
 * scoring only its held-out fold): `kfoldScoreJob` in run/run.ts builds that job and train/ runs it,
 * so score/ never imports train/.
 */
import { initCompute, type ComputeOptions } from '../compute/backend'
import { openProject, type Project } from '../project'
import type { DB } from '../store/db'
import { ProjectError } from '../store/errors'
import { getClasses } from '../store/meta'
import { loadDataset } from '../data/dataset'
import { openInputs } from '../data/inputs'
import { scoreImages, type ScoreProgress } from '../run/predict'
import { openRunModel, runTrainConfig } from '../run/run'
import { dbRunStore, type RunStore } from '../run/store'

export interface ScoreRunOptions {
  projectPath?: string
  db?: DB
  runId: number
  signal?: AbortSignal
  progress?: (e: ScoreProgress) => void
  store?: RunStore
  compute?: ComputeOptions
  batchSize?: number
}

export interface ScoreRunResult {
  /** The run whose predictions were written. */
  runId: number
  mode: 'in-training'
  scored: number
  status: 'done' | 'cancelled'
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
    if (run.status !== 'done')
      throw new ProjectError(
        'INVALID',
        `run ${run.id} is '${run.status}'; only a finished run can score (resume it first)`
      )
    if (cfg.kfold >= 2)
      throw new ProjectError(
        'INVALID',
        `run ${run.id} is a ${cfg.kfold}-fold run; its out-of-sample scores were written when it trained`
      )
    if (!run.checkpoint) throw new ProjectError('INVALID', `run ${run.id} has no checkpoint`)
    await initCompute(o.compute ?? {})
    const classes = getClasses(db)
    if (run.classes.join() !== classes.join())
      throw new ProjectError(
        'INVALID',
        `run ${run.id} predicts ${run.classes.join(', ')}; the project now has ${classes.join(', ')}`
      )
    const { model } = await openRunModel(run)
    try {
      const ids = loadDataset(db, classes.length).images.map((i) => i.imageId)
      const inputs = await openInputs(cfg, { db, projectPath: o.projectPath ?? db.name, ids, signal: o.signal })
      try {
        const preds = await scoreImages(model, inputs, ids, {
          fold: null,
          signal: o.signal,
          batchSize: o.batchSize,
          progress: o.progress
        })
        let scored = 0
        for (let s = 0; s < preds.length; s += 2000)
          scored += await store.writePredictions(run.id, preds.slice(s, s + 2000))
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
