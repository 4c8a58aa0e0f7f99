/**
 * `train()`: one training run of the POI network (or the CE baseline) on a project, start to finish:
 * compute backend, config, data partition (val split or seeded hold-out; k folds), model inputs
 * (pixel cache with augmentation, or a frozen backbone's feature cache), the SGD loop with the step
 * schedule, per-epoch validation and `run_epochs` rows, atomic checkpoints, cancellation, resume,
 * and scoring into `predictions` at the end (in-training, or each fold's held-out images).
 *
 * Determinism: model init from the seed; each epoch's order and each step's augmentation from
 * (seed, fold, epoch, step). Resuming from a checkpoint therefore continues exactly as an
 * uninterrupted run would (same backend).
 */
import { initCompute, describeCompute, type ComputeInfo, type ComputeOptions } from '../compute/backend'
import { tf } from '../compute/tf'
import { createSgd, type SgdMomentum } from '../model/optimizer'
import type { PoiNetwork } from '../model/poi-model'
import { trainStep } from '../model/train-step'
import type { LossValues } from '../model/losses'
import { openProject, type Project } from '../project'
import type { DB } from '../store/db'
import { ProjectError } from '../store/errors'
import { getClasses } from '../store/meta'
import { uncachedImages } from '../store/cache'
import { createRunModel, runKind } from '../run/run'
import { accuracy, scoreImages } from '../run/predict'
import { loadCheckpoint, pruneCheckpoints, saveCheckpoint, type Checkpoint } from '../run/checkpoint'
import { describeTrainConfig, lrAt, resolveTrainConfig, type TrainConfig, type TrainConfigInput } from '../run/config'
import { epochOrder, loadDataset, planFolds, stepRng, trainValSplit, type Dataset } from '../data/dataset'
import { openInputs, type ModelInputs } from '../data/inputs'
import { modelConfigFor } from '../run/model-config'
import { dbRunStore, type RunStore } from '../run/store'
import { projectCacheSettings, runsDirFor } from '../run/paths'

/** Loss terms as the progress reports them (running means over the epoch so far). */
export type LossTerms = Partial<LossValues>

export interface TrainProgressEvent {
  phase: 'prepare' | 'features' | 'train' | 'validate' | 'checkpoint' | 'score' | 'done'
  runId: number | null
  /** -1 = the single model; 0..k-1 in k-fold. */
  fold: number
  /** Number of folds (0 = single model). */
  folds: number
  /** 1-based epoch in progress (0 before training). */
  epoch: number
  epochs: number
  /** Steps done in this epoch, of `steps`. */
  step: number
  steps: number
  lossTerms: LossTerms
  /** Running TRN accuracy on this epoch's (augmented) batches against the given labels, [0, 1]. */
  trainAcc: number | null
  /** Last validation accuracy (TRN vs current labels), [0, 1]. */
  valAcc: number | null
  /** Training images per second over this epoch. */
  imgPerSec: number | null
  /** Estimated seconds left for the whole run (training of all folds; scoring excluded). */
  etaSeconds: number | null
  backend: string
  backendReason: string
  /** For 'features' / 'score': units done and total. */
  done?: number
  total?: number
  message?: string
}

/** One epoch's record (run_epochs.metrics). */
export interface EpochMetrics {
  fold: number
  epoch: number
  lr: number
  loss: LossTerms
  trainAcc: number | null
  valAcc: number | null
  images: number
  seconds: number
  imgPerSec: number
}

export interface RunMetrics {
  epochs: number
  folds: number
  valSource: string
  trainImages: number
  valImages: number
  scored: number
  final: EpochMetrics[]
  seconds: number
  trainSeconds: number
  backend: string
}

export interface TrainOptions {
  /** The project file (opened read-only when `store` is given, else for writing). */
  projectPath?: string
  /** An open connection instead of `projectPath`. */
  db?: DB
  config?: TrainConfigInput
  /** Continue this run from its latest checkpoint (its config is used; `config` is ignored). */
  resumeFrom?: number
  name?: string
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

class Cancelled extends Error {}

const tick = (): Promise<void> => new Promise((r) => setImmediate(r))

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

async function trainOn(db: DB, projectPath: string, o: TrainOptions): Promise<TrainResult> {
  const t0 = performance.now()
  const info: ComputeInfo = await initCompute(o.compute ?? {})
  const backend = describeCompute(info)
  const store = o.store ?? dbRunStore(db)
  const classes = getClasses(db)
  if (classes.length < 2) throw new ProjectError('INVALID', `the project has ${classes.length} class(es); training needs at least 2 (import labelled images first)`)
  let cfg: TrainConfig
  let runId: number
  let resume: Checkpoint | null = null
  if (o.resumeFrom != null) {
    const run = await store.getRun(o.resumeFrom)
    if (!run) throw new ProjectError('INVALID', `no run ${o.resumeFrom} in this project`)
    if (run.status === 'done') throw new ProjectError('INVALID', `run ${run.id} already finished; start a new run instead of resuming it`)
    if (!run.checkpoint) throw new ProjectError('INVALID', `run ${run.id} has no checkpoint to resume from (it stopped before its first epoch ended)`)
    resume = await loadCheckpoint(run.checkpoint)
    cfg = resume.manifest.trainConfig
    if (run.classes.join() !== classes.join()) {
      throw new ProjectError('INVALID', `run ${run.id} was trained on classes ${run.classes.join(', ')}; the project now has ${classes.join(', ')}`)
    }
    runId = run.id
    await store.reopenRun(runId)
  } else {
    const s = projectCacheSettings(db)
    cfg = resolveTrainConfig(o.config ?? {}, { inputSize: s.inputSize, channels: s.channels, backend: info.backend, gpu: info.gpu })
    runId = -1
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
    runId = await store.createRun({
      kind: runKind(cfg),
      name: o.name ?? null,
      config: { train: cfg, model: modelConfig, summary: describeTrainConfig(cfg), compute: { backend: info.backend, reason: info.reason, threads: info.threads } },
      classes,
      backend
    })
  }
  const runDir = runsDirFor(projectPath, runId, o.runsDir)
  const emitBase = { runId, backend, backendReason: info.reason, folds: cfg.kfold, epochs: cfg.epochs }
  const progress = (e: Partial<TrainProgressEvent> & Pick<TrainProgressEvent, 'phase'>): void =>
    o.progress?.({ fold: -1, epoch: 0, step: 0, steps: 0, lossTerms: {}, trainAcc: null, valAcc: null, imgPerSec: null, etaSeconds: null, ...emitBase, ...e })

  let inputs: ModelInputs | null = null
  let checkpoint: string | null = resume?.path ?? null
  try {
    const ds = loadDataset(db, classes.length)
    const labels = new Map<number, number>()
    for (const im of ds.labelled) labels.set(im.imageId, im.label!)
    if (o.labels) {
      labels.clear()
      for (const [id, l] of o.labels) labels.set(id, l)
    }
    const data: Dataset = { images: ds.images, labelled: ds.images.filter((i) => labels.has(i.imageId)).map((i) => ({ ...i, label: labels.get(i.imageId)! })) }
    if (data.labelled.length < 2) throw new ProjectError('INVALID', 'the project has fewer than 2 labelled images to train on')
    const plan = cfg.kfold >= 2 ? planFolds(data, cfg.kfold, cfg.seed) : null
    const split = plan ? null : trainValSplit(data, cfg.valFraction, cfg.seed)
    const allIds = data.images.map((i) => i.imageId)
    progress({ phase: 'prepare', message: describeTrainConfig(cfg) })
    // Without scoring, only the images that train or validate are read (matters for big feature caches).
    const needed = cfg.scoreAfter ? allIds : [...new Set([...(plan ? plan.train.flat() : split!.train), ...(plan ? plan.val.flat() : split!.val)])]
    inputs = await openInputs(cfg, {
      db,
      projectPath,
      ids: needed,
      signal: o.signal,
      progress: (e) => progress({ phase: 'features', done: e.done, total: e.total, message: e.reused ? `${e.reused} from the feature cache` : undefined })
    })
    const folds = plan ? Array.from({ length: plan.k }, (_, f) => f) : [-1]
    const B = cfg.batchSize
    const stepsFor = (n: number): number => Math.max(1, Math.floor(n / Math.min(B, n)))
    const trainSets = folds.map((f) => (plan ? plan.train[f] : split!.train))
    const totalSteps = trainSets.reduce((a, t) => a + stepsFor(t.length) * cfg.epochs, 0)
    let stepsDone = 0
    let stepSeconds = 0
    let stepsTimed = 0
    const finals: EpochMetrics[] = []
    let scored = 0
    let trainSeconds = 0
    const history: EpochMetrics[] = (resume?.manifest.history as EpochMetrics[] | undefined) ?? []

    for (const fold of folds) {
      const trainIds = trainSets[folds.indexOf(fold)]
      const valIds = plan ? plan.val[fold] : split!.val
      const scoreIds = plan ? allIds.filter((id) => plan.foldOf.get(id) === fold) : allIds
      const steps = stepsFor(trainIds.length)
      const bsz = Math.min(B, trainIds.length)
      if (resume && fold < resume.manifest.position.fold) {
        stepsDone += steps * cfg.epochs
        continue
      }
      const model: PoiNetwork = createRunModel(modelConfig, cfg)
      const opt: SgdMomentum = createSgd(model.config.optimizer, lrAt(cfg, 0))
      const foldDir = fold < 0 ? runDir : `${runDir}/fold-${fold}`
      let startEpoch = 0
      let startStep = 0
      try {
        if (resume && fold === resume.manifest.position.fold) {
          model.setWeights(resume.weights)
          opt.setState(resume.optimizer, model.registry)
          startEpoch = resume.manifest.position.epoch
          startStep = resume.manifest.position.step
          stepsDone += startEpoch * steps + startStep
        }
        let lastValAcc: number | null = history.filter((h) => h.fold === fold).at(-1)?.valAcc ?? null
        let lastSave = performance.now()
        const save = async (epoch: number, step: number): Promise<void> => {
          progress({ phase: 'checkpoint', fold, epoch: Math.min(epoch + 1, cfg.epochs), step, steps, valAcc: lastValAcc })
          const path = await saveCheckpoint(foldDir, {
            runId,
            trainConfig: cfg,
            modelConfig: model.config,
            position: { fold, epoch, step },
            weights: model.getWeights(),
            optimizer: opt.getState(),
            history
          })
          await store.setCheckpoint(runId, path)
          checkpoint = path
          await pruneCheckpoints(foldDir, o.keepCheckpoints ?? 2)
          lastSave = performance.now()
        }
        for (let epoch = startEpoch; epoch < cfg.epochs; epoch++) {
          opt.lr = lrAt(cfg, epoch)
          const order = epochOrder(trainIds, cfg.seed, fold, epoch)
          const sums: Record<string, number> = {}
          let seen = 0
          let right = 0
          let epochSeconds = 0
          const first = epoch === startEpoch ? startStep : 0
          for (let step = first; step < steps; step++) {
            if (o.signal?.aborted) throw new Cancelled()
            const ids = order.slice(step * bsz, (step + 1) * bsz)
            const ts = performance.now()
            const rng = stepRng(cfg.seed, fold, epoch, step)
            const x = tf.tensor4d(inputs.batch(ids, cfg.augment, rng), [ids.length, ...inputs.shape])
            const y = tf.tensor1d(ids.map((id) => labels.get(id)!), 'int32')
            let pred: tf.Tensor | null = null
            let loss: LossValues
            try {
              loss = trainStep(model, { x, y }, opt, { collect: (out) => void (pred = tf.keep(tf.argMax(out.trnLogits, 1))) })
              const pv = (await (pred as tf.Tensor | null)!.data()) as Int32Array
              ids.forEach((id, j) => {
                if (pv[j] === labels.get(id)) right++
              })
            } finally {
              tf.dispose([x, y, ...(pred ? [pred] : [])])
            }
            const dt = (performance.now() - ts) / 1000
            epochSeconds += dt
            stepSeconds += dt
            stepsTimed++
            stepsDone++
            seen += ids.length
            for (const [k, v] of Object.entries(loss)) sums[k] = (sums[k] ?? 0) + v * ids.length
            const means: LossTerms = Object.fromEntries(Object.entries(sums).map(([k, v]) => [k, v / seen]))
            progress({
              phase: 'train',
              fold,
              epoch: epoch + 1,
              step: step + 1,
              steps,
              lossTerms: means,
              trainAcc: right / seen,
              valAcc: lastValAcc,
              imgPerSec: seen / Math.max(epochSeconds, 1e-9),
              etaSeconds: ((totalSteps - stepsDone) * stepSeconds) / stepsTimed
            })
            if (cfg.checkpointMinutes > 0 && step + 1 < steps && performance.now() - lastSave > cfg.checkpointMinutes * 60_000) await save(epoch, step + 1)
            await tick()
          }
          trainSeconds += epochSeconds
          progress({ phase: 'validate', fold, epoch: epoch + 1, step: steps, steps })
          // A cancel during validation skips it but still records the finished epoch and its checkpoint.
          lastValAcc = o.signal?.aborted ? null : await accuracy(model, inputs, valIds, labels, o.signal).catch((e: unknown) => {
            if (o.signal?.aborted) return null
            throw e
          })
          const m: EpochMetrics = {
            fold,
            epoch: epoch + 1,
            lr: opt.lr,
            loss: Object.fromEntries(Object.entries(sums).map(([k, v]) => [k, v / Math.max(seen, 1)])),
            trainAcc: seen ? right / seen : null,
            valAcc: lastValAcc,
            images: seen,
            seconds: epochSeconds,
            imgPerSec: seen / Math.max(epochSeconds, 1e-9)
          }
          history.push(m)
          await store.addEpoch(runId, epoch + 1, m, fold)
          await save(epoch + 1, 0)
          if (o.signal?.aborted) throw new Cancelled()
        }
        if (cfg.scoreAfter) {
          const preds = await scoreImages(model, inputs, scoreIds, {
            fold: plan ? fold : null,
            signal: o.signal,
            progress: (e) => progress({ phase: 'score', fold, epoch: cfg.epochs, done: e.done, total: e.total, valAcc: lastValAcc })
          })
          for (let s = 0; s < preds.length; s += 2000) scored += await store.writePredictions(runId, preds.slice(s, s + 2000))
        }
      } finally {
        opt.dispose()
        model.dispose()
      }
    }
    for (const f of folds) {
      const last = history.filter((h) => h.fold === f).at(-1)
      if (last) finals.push(last)
    }
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
    return { runId, status: 'done', config: cfg, metrics, checkpoint, compute: { backend, reason: info.reason } }
  } catch (e) {
    // Whatever was interrupted (a step, validation, feature extraction, scoring), an abort means cancelled.
    if (e instanceof Cancelled || o.signal?.aborted) {
      await store.finishRun(runId, { status: 'cancelled', checkpoint, error: null })
      const metrics: RunMetrics = { epochs: cfg.epochs, folds: cfg.kfold, valSource: '', trainImages: 0, valImages: 0, scored: 0, final: [], seconds: (performance.now() - t0) / 1000, trainSeconds: 0, backend }
      return { runId, status: 'cancelled', config: cfg, metrics, checkpoint, compute: { backend, reason: info.reason } }
    }
    await store.finishRun(runId, { status: 'failed', error: (e as Error)?.message ?? String(e), checkpoint }).catch(() => undefined)
    throw e
  } finally {
    inputs?.release()
  }
}

