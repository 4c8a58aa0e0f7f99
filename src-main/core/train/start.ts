/**
 * The two things train() settles before the first step: which run it is (a new one with a resolved
 * configuration, or a stopped one resumed from its checkpoint with the configuration it was made
 * with) and how the labelled images are divided (a validation split, or k folds from data/dataset.ts)
 * into one job per model to train.
 */
import type { ComputeInfo } from '../compute/backend'
import type { ClassName } from '../classes'
import type { PoiModelConfig } from '../model/config'
import type { DB } from '../store/db'
import { ProjectError } from '../store/errors'
import { uncachedImages } from '../store/cache'
import { loadCheckpoint, type Checkpoint } from '../run/checkpoint'
import { describeTrainConfig, resolveTrainConfig, type TrainConfig, type TrainConfigInput } from '../run/config'
import { modelConfigFor } from '../run/model-config'
import { projectCacheSettings } from '../run/paths'
import { runKind } from '../run/run'
import type { RunStore } from '../run/store'
import {
  countLabelled,
  loadDataset,
  planFolds,
  trainValSplit,
  type Dataset,
  type FoldPlan,
  type TrainValSplit
} from '../data/dataset'
import type { FoldJob } from './fold'

export interface StartedRun {
  runId: number
  cfg: TrainConfig
  modelConfig: PoiModelConfig
  resume: Checkpoint | null
}

/** Creates the run (or reopens `resumeFrom`) after checking the classes and the pixel cache. */
export async function startRun(
  db: DB,
  store: RunStore,
  o: { resumeFrom?: number; config?: TrainConfigInput; name?: string; parentRunId?: number },
  info: ComputeInfo,
  classes: ClassName[],
  backend: string
): Promise<StartedRun> {
  let cfg: TrainConfig
  let resume: Checkpoint | null = null
  let runId = -1
  if (o.resumeFrom != null) {
    const run = await store.getRun(o.resumeFrom)
    if (!run) throw new ProjectError('INVALID', `no run ${o.resumeFrom} in this project`)
    if (run.status === 'done')
      throw new ProjectError('INVALID', `run ${run.id} already finished; start a new run instead of resuming it`)
    if (!run.checkpoint)
      throw new ProjectError(
        'INVALID',
        `run ${run.id} has no checkpoint to resume from (it stopped before its first epoch ended)`
      )
    resume = await loadCheckpoint(run.checkpoint)
    cfg = resume.manifest.trainConfig
    if (run.classes.join() !== classes.join()) {
      throw new ProjectError(
        'INVALID',
        `run ${run.id} was trained on classes ${run.classes.join(', ')}; the project now has ${classes.join(', ')}`
      )
    }
    runId = run.id
    await store.reopenRun(runId)
  } else {
    const s = projectCacheSettings(db)
    cfg = resolveTrainConfig(o.config ?? {}, {
      inputSize: s.inputSize,
      channels: s.channels,
      backend: info.backend,
      gpu: info.gpu,
      labelled: countLabelled(db)
    })
  }
  const missing = uncachedImages(db, cfg.inputSize, cfg.channels)
  if (missing.length) {
    throw new ProjectError(
      'INVALID',
      `${missing.length} image(s) have no ${cfg.inputSize}×${cfg.inputSize}×${cfg.channels} pixel cache (e.g. image ${missing[0]}); build it first (poi-audit train does, or dataset/ensurePixelCache)`
    )
  }
  const modelConfig = modelConfigFor(cfg, classes)
  if (runId < 0) {
    // The labels this run trains on are the project's as of this history entry (partition() reads
    // them next): evaluate/compare-runs reconstructs them from label_history to compare runs.
    const asOf = (db.prepare('SELECT coalesce(max(id), 0) AS id FROM label_history').get() as { id: number }).id
    runId = await store.createRun({
      kind: runKind(cfg),
      name: o.name ?? null,
      config: {
        train: cfg,
        model: modelConfig,
        summary: describeTrainConfig(cfg),
        compute: { backend: info.backend, reason: info.reason, threads: info.threads },
        labelsAsOf: { historyId: asOf },
        ...(o.parentRunId != null ? { parentRunId: o.parentRunId } : {})
      },
      classes,
      backend
    })
  }
  return { runId, cfg, modelConfig, resume }
}

export interface Partition {
  /** The labels training uses (the project's, or the caller's override). */
  labels: Map<number, number>
  plan: FoldPlan | null
  split: TrainValSplit | null
  allIds: number[]
  /** One job per model, in order. */
  jobs: FoldJob[]
  /** Images the run reads: all when it scores, else only those that train or validate. */
  needed: number[]
}

/** The labelled images, divided into a validation split or k folds, as fold jobs. */
export function partition(
  db: DB,
  cfg: TrainConfig,
  classCount: number,
  override?: ReadonlyMap<number, number>
): Partition {
  const ds = loadDataset(db, classCount)
  const labels = new Map<number, number>(override ?? ds.labelled.map((i) => [i.imageId, i.label!]))
  const data: Dataset = {
    images: ds.images,
    labelled: ds.images.filter((i) => labels.has(i.imageId)).map((i) => ({ ...i, label: labels.get(i.imageId)! }))
  }
  if (data.labelled.length < 2)
    throw new ProjectError('INVALID', 'the project has fewer than 2 labelled images to train on')
  const plan = cfg.kfold >= 2 ? planFolds(data, cfg.kfold, cfg.seed) : null
  const split = plan ? null : trainValSplit(data, cfg.valFraction, cfg.seed)
  const allIds = data.images.map((i) => i.imageId)
  const folds = plan ? Array.from({ length: plan.k }, (_, f) => f) : [-1]
  const jobs = folds.map((fold): FoldJob => {
    const trainIds = plan ? plan.train[fold] : split!.train
    const batch = Math.min(cfg.batchSize, trainIds.length)
    return {
      fold,
      trainIds,
      valIds: plan ? plan.val[fold] : split!.val,
      scoreIds: plan ? allIds.filter((id) => plan.foldOf.get(id) === fold) : allIds,
      recordFold: !!plan,
      steps: Math.max(1, Math.floor(trainIds.length / batch)),
      batch
    }
  })
  // Without scoring, only the images that train or validate are read (matters for big feature caches).
  const needed = cfg.scoreAfter ? allIds : [...new Set(jobs.flatMap((j) => [...j.trainIds, ...j.valIds]))]
  return { labels, plan, split, allIds, jobs, needed }
}
