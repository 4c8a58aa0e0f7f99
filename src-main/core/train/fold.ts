/**
 * Training one model: the single model of a run, or one fold's model in k-fold. The SGD loop over
 * epochs and steps (seeded order and augmentation per (seed, fold, epoch, step)), per-epoch validation
 * and `run_epochs` rows, atomic checkpoints (each epoch, and every `checkpointMinutes` inside one),
 * resuming mid-epoch from a checkpoint, and scoring the fold's images at the end. train.ts plans the
 * folds and calls this once per fold.
 */
import { tf } from '../compute/tf'
import type { PoiModelConfig } from '../model/config'
import type { LossValues } from '../model/losses'
import { createSgd, type SgdMomentum } from '../model/optimizer'
import type { PoiNetwork } from '../model/poi-model'
import { trainStep } from '../model/train-step'
import { pruneCheckpoints, saveCheckpoint, type Checkpoint } from '../run/checkpoint'
import { lrAt, type TrainConfig } from '../run/config'
import { accuracy, scoreImages } from '../run/predict'
import { createRunModel } from '../run/run'
import type { RunStore } from '../run/store'
import { epochOrder, stepRng } from '../data/dataset'
import type { ModelInputs } from '../data/inputs'
import type { EpochMetrics, LossTerms, ProgressEmit } from './progress'

/** Thrown inside the loop when the signal aborts; train.ts turns it into a 'cancelled' run. */
export class Cancelled extends Error {}

/** Steps done and seconds spent across all folds of the run, for the ETA. */
export interface StepClock {
  total: number
  done: number
  seconds: number
  timed: number
}

/** One model to train: its fold (-1 = the single model), images, steps per epoch and batch size. */
export interface FoldJob {
  fold: number
  trainIds: readonly number[]
  valIds: readonly number[]
  scoreIds: readonly number[]
  /** k-fold: predictions record the fold; a single model's are in-training (null). */
  recordFold: boolean
  steps: number
  batch: number
}

export interface FoldContext {
  cfg: TrainConfig
  runId: number
  modelConfig: PoiModelConfig
  inputs: ModelInputs
  labels: ReadonlyMap<number, number>
  /** Soft CE targets [C] per image (votes; see store/votes.ts voteTargets); images not in it train one-hot. */
  softTargets?: ReadonlyMap<number, Float32Array>
  store: RunStore
  signal?: AbortSignal
  progress: ProgressEmit
  /** The run's checkpoint folder; fold f writes to `<runDir>/fold-f`. */
  runDir: string
  keepCheckpoints: number
  /** Every finished epoch of the run (saved in each checkpoint); appended to. */
  history: EpochMetrics[]
  /** The checkpoint to continue from (its fold is this one or a later one), or null. */
  resume: Checkpoint | null
  clock: StepClock
  onCheckpoint(path: string): void
}

const tick = (): Promise<void> => new Promise((r) => setImmediate(r))

/**
 * The CE targets of one batch, row-major [B, C]: the image's soft target where it has one, else the
 * one-hot of its label; null when no image of the batch has a soft target (the loss then builds the
 * one-hot itself, exactly as without votes).
 */
export function batchTargets(
  ids: readonly number[],
  labels: ReadonlyMap<number, number>,
  soft: ReadonlyMap<number, Float32Array>,
  C: number
): Float32Array | null {
  if (!ids.some((id) => soft.has(id))) return null
  const out = new Float32Array(ids.length * C)
  ids.forEach((id, j) => {
    const t = soft.get(id)
    if (t) out.set(t, j * C)
    else out[j * C + labels.get(id)!] = 1
  })
  return out
}

interface EpochTotals {
  sums: Record<string, number>
  seen: number
  right: number
  seconds: number
}

/** One epoch's steps from `first`; `maybeSave(step)` may write a mid-epoch checkpoint. */
async function runEpoch(
  c: FoldContext,
  job: FoldJob,
  model: PoiNetwork,
  opt: SgdMomentum,
  epoch: number,
  first: number,
  valAcc: number | null,
  maybeSave: (step: number) => Promise<void>
): Promise<EpochTotals> {
  const { cfg, inputs, labels, clock } = c
  const order = epochOrder(job.trainIds, cfg.seed, job.fold, epoch)
  const t: EpochTotals = { sums: {}, seen: 0, right: 0, seconds: 0 }
  for (let step = first; step < job.steps; step++) {
    if (c.signal?.aborted) throw new Cancelled()
    const ids = order.slice(step * job.batch, (step + 1) * job.batch)
    const ts = performance.now()
    const rng = stepRng(cfg.seed, job.fold, epoch, step)
    const x = tf.tensor4d(inputs.batch(ids, cfg.augment, rng), [ids.length, ...inputs.shape])
    const y = tf.tensor1d(
      ids.map((id) => labels.get(id)!),
      'int32'
    )
    const soft = c.softTargets ? batchTargets(ids, labels, c.softTargets, c.modelConfig.classes.length) : null
    const targets = soft ? tf.tensor2d(soft, [ids.length, c.modelConfig.classes.length]) : undefined
    let pred: tf.Tensor | null = null
    let loss: LossValues
    try {
      loss = trainStep(model, { x, y, targets }, opt, {
        collect: (out) => void (pred = tf.keep(tf.argMax(out.trnLogits, 1)))
      })
      const pv = (await (pred as tf.Tensor | null)!.data()) as Int32Array
      ids.forEach((id, j) => {
        if (pv[j] === labels.get(id)) t.right++
      })
    } finally {
      tf.dispose([x, y, ...(targets ? [targets] : []), ...(pred ? [pred] : [])])
    }
    const dt = (performance.now() - ts) / 1000
    t.seconds += dt
    clock.seconds += dt
    clock.timed++
    clock.done++
    t.seen += ids.length
    for (const [k, v] of Object.entries(loss)) t.sums[k] = (t.sums[k] ?? 0) + v * ids.length
    const means: LossTerms = Object.fromEntries(Object.entries(t.sums).map(([k, v]) => [k, v / t.seen]))
    c.progress({
      phase: 'train',
      fold: job.fold,
      epoch: epoch + 1,
      step: step + 1,
      steps: job.steps,
      lossTerms: means,
      trainAcc: t.right / t.seen,
      valAcc,
      imgPerSec: t.seen / Math.max(t.seconds, 1e-9),
      etaSeconds: ((clock.total - clock.done) * clock.seconds) / clock.timed
    })
    if (step + 1 < job.steps) await maybeSave(step + 1)
    await tick()
  }
  return t
}

/** Trains one fold's model (resuming when the checkpoint is of this fold); returns what it scored. */
export async function trainFold(c: FoldContext, job: FoldJob): Promise<{ scored: number; trainSeconds: number }> {
  const { cfg, runId, store, history } = c
  const fold = job.fold
  const model: PoiNetwork = createRunModel(c.modelConfig, cfg)
  const opt: SgdMomentum = createSgd(model.config.optimizer, lrAt(cfg, 0))
  const foldDir = fold < 0 ? c.runDir : `${c.runDir}/fold-${fold}`
  let startEpoch = 0
  let startStep = 0
  let scored = 0
  let trainSeconds = 0
  try {
    if (c.resume && fold === c.resume.manifest.position.fold) {
      model.setWeights(c.resume.weights)
      opt.setState(c.resume.optimizer, model.registry)
      startEpoch = c.resume.manifest.position.epoch
      startStep = c.resume.manifest.position.step
      c.clock.done += startEpoch * job.steps + startStep
    }
    let lastValAcc: number | null = history.filter((h) => h.fold === fold).at(-1)?.valAcc ?? null
    let lastSave = performance.now()
    const save = async (epoch: number, step: number): Promise<void> => {
      c.progress({
        phase: 'checkpoint',
        fold,
        epoch: Math.min(epoch + 1, cfg.epochs),
        step,
        steps: job.steps,
        valAcc: lastValAcc
      })
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
      c.onCheckpoint(path)
      await pruneCheckpoints(foldDir, c.keepCheckpoints)
      lastSave = performance.now()
    }
    for (let epoch = startEpoch; epoch < cfg.epochs; epoch++) {
      opt.lr = lrAt(cfg, epoch)
      const first = epoch === startEpoch ? startStep : 0
      const maybeSave = async (step: number): Promise<void> => {
        if (cfg.checkpointMinutes > 0 && performance.now() - lastSave > cfg.checkpointMinutes * 60_000)
          await save(epoch, step)
      }
      const t = await runEpoch(c, job, model, opt, epoch, first, lastValAcc, maybeSave)
      trainSeconds += t.seconds
      c.progress({ phase: 'validate', fold, epoch: epoch + 1, step: job.steps, steps: job.steps })
      // A cancel during validation skips it but still records the finished epoch and its checkpoint.
      lastValAcc = c.signal?.aborted
        ? null
        : await accuracy(model, c.inputs, job.valIds, c.labels, c.signal).catch((e: unknown) => {
            if (c.signal?.aborted) return null
            throw e
          })
      const m: EpochMetrics = {
        fold,
        epoch: epoch + 1,
        lr: opt.lr,
        loss: Object.fromEntries(Object.entries(t.sums).map(([k, v]) => [k, v / Math.max(t.seen, 1)])),
        trainAcc: t.seen ? t.right / t.seen : null,
        valAcc: lastValAcc,
        images: t.seen,
        seconds: t.seconds,
        imgPerSec: t.seen / Math.max(t.seconds, 1e-9)
      }
      history.push(m)
      await store.addEpoch(runId, epoch + 1, m, fold)
      await save(epoch + 1, 0)
      if (c.signal?.aborted) throw new Cancelled()
    }
    if (cfg.scoreAfter) {
      const preds = await scoreImages(model, c.inputs, job.scoreIds, {
        fold: job.recordFold ? fold : null,
        signal: c.signal,
        progress: (e) =>
          c.progress({ phase: 'score', fold, epoch: cfg.epochs, done: e.done, total: e.total, valAcc: lastValAcc })
      })
      for (let s = 0; s < preds.length; s += 2000)
        scored += await store.writePredictions(runId, preds.slice(s, s + 2000))
    }
    return { scored, trainSeconds }
  } finally {
    opt.dispose()
    model.dispose()
  }
}
