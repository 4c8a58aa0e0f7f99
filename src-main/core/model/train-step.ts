/**
 * One optimisation step of the POI network: train-mode forward, every loss term, gradients over the
 * trainable variables only (tf.variableGrads), BN running-statistic updates, SGD update. Every tensor
 * created here is disposed before returning. The training loop, schedule and checkpoints live in
 * core/train; this is the unit they call.
 */
import { tf } from './tf'
import { applyBnUpdates, dropBnUpdates, newCtx } from './layers'
import { lossValues, poiLoss, type LossTensors, type LossValues } from './losses'
import type { PoiNetwork, PoiOutputs } from './poi-model'
import type { SgdMomentum } from './optimizer'

/**
 * One batch: x [B, H, W, Ch] float32 (in [0, 1] or normalised, as the trainer chooses), y int32 [B]
 * class indices; `targets` float32 [B, C] (optional): the cross-entropy target per image (soft labels
 * from votes; one-hot rows for the others), rows summing to 1.
 */
export interface TrainBatch {
  x: tf.Tensor4D
  y: tf.Tensor1D
  targets?: tf.Tensor2D
}

/** Throws with the offending value unless the batch fits the model. Reads y (B integers) to range-check it. */
export function checkBatch(model: PoiNetwork, batch: TrainBatch): void {
  model.checkInput(batch.x)
  const b = batch.x.shape[0]
  const { y } = batch
  if (y.rank !== 1 || y.shape[0] !== b) throw new Error(`labels have shape [${y.shape.join(', ')}], expected [${b}]`)
  if (y.dtype !== 'int32') throw new Error(`labels have dtype ${y.dtype}, expected int32`)
  if (b < 2) throw new Error(`a training batch needs at least 2 images (batch norm statistics), got ${b}`)
  const c = model.config.classes.length
  const t = batch.targets
  if (t && (t.rank !== 2 || t.shape[0] !== b || t.shape[1] !== c))
    throw new Error(`soft targets have shape [${t.shape.join(', ')}], expected [${b}, ${c}]`)
  const ys = y.dataSync()
  for (let i = 0; i < ys.length; i++) {
    if (!(ys[i] >= 0 && ys[i] < c)) throw new Error(`label ${ys[i]} at batch index ${i} is outside 0..${c - 1}`)
  }
}

export interface GradientResult {
  /** Loss terms of this batch (before the update). */
  loss: LossValues
  /** Gradient per trainable parameter name (parameters without a path to the loss are absent). Caller disposes. */
  grads: Map<string, tf.Tensor>
}

/**
 * Train-mode forward + backward. BN running statistics are updated when the loss is finite (so a
 * diverged batch leaves the model untouched); gradients are returned for the caller to apply.
 */
export function computeGradients(
  model: PoiNetwork,
  batch: TrainBatch,
  opts: { collect?: CollectOutputs } = {}
): GradientResult {
  checkBatch(model, batch)
  const trainable = model.registry.trainable()
  if (trainable.length === 0) throw new Error('the model has no trainable parameters (everything is frozen)')
  const byTfName = new Map(trainable.map((e) => [e.variable.name, e.name]))
  const ctx = newCtx(true)
  let terms: LossTensors | null = null
  let rawGrads: Record<string, tf.Tensor> = {}
  try {
    const r = tf.variableGrads(
      () => {
        const out = model.run(batch.x, ctx)
        opts.collect?.(out)
        const t = poiLoss(out, batch.y, model.config, batch.targets)
        for (const s of Object.values(t)) if (s) tf.keep(s)
        terms = t
        return t.total
      },
      trainable.map((e) => e.variable)
    )
    rawGrads = r.grads
  } catch (e) {
    dropBnUpdates(ctx)
    if (terms) tf.dispose(Object.values(terms as LossTensors))
    throw e
  }
  const t = terms as unknown as LossTensors
  const loss = lossValues(t)
  tf.dispose([...new Set(Object.values(t))])
  const grads = new Map<string, tf.Tensor>()
  for (const [tfName, g] of Object.entries(rawGrads)) {
    if (g) grads.set(byTfName.get(tfName) as string, g)
  }
  if (Number.isFinite(loss.total)) applyBnUpdates(ctx)
  else dropBnUpdates(ctx)
  return { loss, grads }
}

/**
 * Called with the train-mode outputs inside the gradient tape, before the loss (e.g. to read the TRN
 * predictions for a running train accuracy without a second forward pass). The outputs are disposed
 * after the step: tf.keep whatever is derived from them and dispose it yourself.
 */
export type CollectOutputs = (out: PoiOutputs) => void

export interface TrainStepOptions {
  /** Checked before the step starts; a step itself is not interruptible. */
  signal?: AbortSignal
  collect?: CollectOutputs
}

/**
 * One SGD step. Returns every loss term (numbers, computed before the update). Throws, without
 * touching the weights, when the loss is not finite.
 */
export function trainStep(
  model: PoiNetwork,
  batch: TrainBatch,
  optimizer: SgdMomentum,
  opts: TrainStepOptions = {}
): LossValues {
  opts.signal?.throwIfAborted()
  const { loss, grads } = computeGradients(model, batch, { collect: opts.collect })
  try {
    if (!Number.isFinite(loss.total)) {
      throw new Error(
        `non-finite loss (${JSON.stringify(loss)}) at optimizer step ${optimizer.step}; weights not updated`
      )
    }
    optimizer.apply(grads, model.registry)
  } finally {
    tf.dispose([...grads.values()])
  }
  return loss
}
