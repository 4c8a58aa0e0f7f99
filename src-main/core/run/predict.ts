/**
 * Per-image POI outputs (spec §5) from a trained network: batched eval-mode forward passes, every
 * tensor disposed, results as `predictions` rows (store/runs.ts layouts: region probs [UL, UR, LL, LR]
 * × C row-major; AU vectors UL 6, UR 6 (EYE_AUS order), LL 7, LR 7 (MOUTH_AUS order)).
 */
import { tf } from '../compute/tf'
import type { PoiNetwork, PoiOutputs } from '../model/poi-model'
import type { PredictionInput } from '../store/runs'

/**
 * What a forward pass reads: data/inputs.ts's ModelInputs satisfies it. Declared here so run/ never
 * imports data/ (data/ depends on run/config).
 */
export interface EvalInputs {
  /** One model input: [H, W, C]. */
  readonly shape: [number, number, number]
  /** NHWC float32 for `ids`, unaugmented. */
  batch(ids: readonly number[]): Float32Array
}

export interface ScoreProgress {
  phase: 'score'
  done: number
  total: number
  /** The k-fold model scoring now (null: the single model). */
  fold: number | null
}

export interface ScoreImagesOptions {
  /** Recorded with each prediction: the held-out fold whose model scored it, or null (in-training). */
  fold: number | null
  /** Images per forward pass (default 64). */
  batchSize?: number
  signal?: AbortSignal
  progress?: (e: ScoreProgress) => void
}

/** Copies a [B, ...] tensor's rows out as Float32Arrays of `per` values. */
function rows(data: Float32Array, b: number): Float32Array[] {
  const per = data.length / b
  return Array.from({ length: b }, (_, i) => data.slice(i * per, (i + 1) * per))
}

/** Interleaves the eye [B, 2, 6] and mouth [B, 2, 7] AU tensors' data into [B, 26] (UL, UR, LL, LR). */
function auRows(eye: Float32Array, mouth: Float32Array, b: number): Float32Array[] {
  const e = eye.length / b
  const m = mouth.length / b
  return Array.from({ length: b }, (_, i) => {
    const out = new Float32Array(e + m)
    out.set(eye.subarray(i * e, (i + 1) * e), 0)
    out.set(mouth.subarray(i * m, (i + 1) * m), e)
    return out
  })
}

/** Reads one forward pass into prediction rows (values copied; the caller disposes `out`). */
export async function toPredictions(
  out: PoiOutputs,
  ids: readonly number[],
  fold: number | null
): Promise<PredictionInput[]> {
  const b = ids.length
  const get = async (t: tf.Tensor | undefined): Promise<Float32Array | null> =>
    t ? ((await t.data()) as Float32Array) : null
  const trn = rows((await get(out.trnProbs))!, b)
  const q = await get(out.q)
  const q1 = await get(out.qT1)
  const region = await get(out.regionProbs)
  const gate = await get(out.gate)
  const u = await get(out.uemUncertainty)
  const c = await get(out.uemConfidence)
  const auP = out.auProb ? auRows((await get(out.auProb.eye))!, (await get(out.auProb.mouth))!, b) : null
  const auW = out.auImportance
    ? auRows((await get(out.auImportance.eye))!, (await get(out.auImportance.mouth))!, b)
    : null
  const qR = q && rows(q, b)
  const q1R = q1 && rows(q1, b)
  const regionR = region && rows(region, b)
  const gateR = gate && rows(gate, b)
  return ids.map((imageId, i) => ({
    imageId,
    fold,
    trnProbs: trn[i],
    oimSoft: qR ? qR[i] : null,
    oimSoftT1: q1R ? q1R[i] : null,
    regionProbs: regionR ? regionR[i] : null,
    gate: gateR ? gateR[i] : null,
    uemUncertainty: u ? u[i] : null,
    uemConfidence: c ? c[i] : null,
    auProb: auP ? auP[i] : null,
    auImportance: auW ? auW[i] : null
  }))
}

/** Scores `ids` (no augmentation, eval mode), in order. Yields to the event loop between batches. */
export async function scoreImages(
  model: PoiNetwork,
  inputs: EvalInputs,
  ids: readonly number[],
  o: ScoreImagesOptions
): Promise<PredictionInput[]> {
  const bs = o.batchSize ?? 64
  const [h, w, ch] = inputs.shape
  const preds: PredictionInput[] = []
  o.progress?.({ phase: 'score', done: 0, total: ids.length, fold: o.fold })
  for (let s = 0; s < ids.length; s += bs) {
    o.signal?.throwIfAborted()
    const chunk = ids.slice(s, s + bs)
    const x = tf.tensor4d(inputs.batch(chunk), [chunk.length, h, w, ch])
    let out: PoiOutputs | null = null
    try {
      out = model.forward(x)
      preds.push(...(await toPredictions(out, chunk, o.fold)))
    } finally {
      x.dispose()
      if (out) tf.dispose(out as unknown as tf.TensorContainer)
    }
    o.progress?.({ phase: 'score', done: Math.min(ids.length, s + bs), total: ids.length, fold: o.fold })
    await new Promise((r) => setImmediate(r))
  }
  return preds
}

/** TRN accuracy of `ids` against `labels` (eval mode), in [0, 1]; null for no images. */
export async function accuracy(
  model: PoiNetwork,
  inputs: EvalInputs,
  ids: readonly number[],
  labels: ReadonlyMap<number, number>,
  signal?: AbortSignal,
  batchSize = 128
): Promise<number | null> {
  if (!ids.length) return null
  const [h, w, ch] = inputs.shape
  let right = 0
  for (let s = 0; s < ids.length; s += batchSize) {
    signal?.throwIfAborted()
    const chunk = ids.slice(s, s + batchSize)
    const x = tf.tensor4d(inputs.batch(chunk), [chunk.length, h, w, ch])
    const p = model.predictTrn(x)
    const am = tf.argMax(p, 1)
    const v = (await am.data()) as Int32Array
    tf.dispose([x, p, am])
    chunk.forEach((id, j) => {
      if (v[j] === labels.get(id)) right++
    })
    await new Promise((r) => setImmediate(r))
  }
  return right / ids.length
}
