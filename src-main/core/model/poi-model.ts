/**
 * The POI network: shared extractor E, PIN (AU nets + OIM gate), TRN and the UEM read-out, assembled
 * from a PoiModelConfig. forward() returns every output the trainer, the scorer and the audit need;
 * predictTrn() is the deployment path (E → TRN only).
 */
import { tf } from './tf'
import {
  computeGeometry,
  resolveConfig,
  type ModelGeometry,
  type PoiModelConfig,
  type PoiModelConfigInput
} from './config'
import {
  buildTrn,
  frozenExtractor,
  resnetExtractor,
  vggExtractor,
  withResidualAdapter,
  type FeatureExtractor,
  type FrozenFeatureFn,
  type Trn
} from './backbone'
import { applyBnUpdates, dropBnUpdates, newCtx, type ForwardCtx } from './layers'
import { ParamRegistry } from './params'
import { buildPin, type Pin } from './pin'
import { gateMix, temperedProbs, uem } from './oim'
import { configWarnings } from './describe'

/**
 * Forward outputs (B = batch, C = classes, regions in order [UL, UR, LL, LR]). The PIN fields are
 * absent when the PIN is off (mode 'baseline' / ablation.noPIN). The caller owns every tensor
 * (dispose with disposeOutputs).
 */
export interface PoiOutputs {
  /** TRN logits s: [B, C]. */
  trnLogits: tf.Tensor2D
  /** p̂ = softmax(s): [B, C]. */
  trnProbs: tf.Tensor2D
  /** z: [B, 4, C]. */
  regionLogits?: tf.Tensor3D
  /** p = softmax(z) (T = 1): [B, 4, C]. */
  regionProbs?: tf.Tensor3D
  /** Gate g: [B, 4]. */
  gate?: tf.Tensor2D
  /** q = Σ_j g_j softmax(z_j / T), the training target: [B, C]. */
  q?: tf.Tensor2D
  /** Σ_j g_j softmax(z_j) (T = 1, for display/ranking): [B, C]. */
  qT1?: tf.Tensor2D
  /** UEM u: [B]. */
  uemUncertainty?: tf.Tensor1D
  /** UEM c ∈ [0, 1]: [B]. */
  uemConfidence?: tf.Tensor1D
  /** AU logits: eye [B, 2, 6] (UL, UR), mouth [B, 2, 7] (LL, LR); AU order as EYE_AUS / MOUTH_AUS. */
  auLogits?: { eye: tf.Tensor3D; mouth: tf.Tensor3D }
  /** ρ = sigmoid(auLogits), same shapes. */
  auProb?: { eye: tf.Tensor3D; mouth: tf.Tensor3D }
  /** Importance w, same shapes. */
  auImportance?: { eye: tf.Tensor3D; mouth: tf.Tensor3D }
}

export function disposeOutputs(out: PoiOutputs): void {
  tf.dispose(out as unknown as tf.TensorContainer)
}

/** Named weights: name → shape and a copy of the values (row-major float32). */
export type WeightMap = Map<string, { shape: number[]; data: Float32Array }>

export interface CreateModelOptions {
  /** Required when config.extractor.kind is 'frozen'. */
  frozenExtractor?: FrozenFeatureFn
}

export class PoiNetwork {
  readonly config: PoiModelConfig
  readonly geometry: ModelGeometry
  readonly registry: ParamRegistry
  /** Non-fatal remarks on the configuration (e.g. λ2 ≥ λ3). */
  readonly warnings: string[]
  private readonly extractor: FeatureExtractor
  private readonly trn: Trn
  private readonly pin: Pin | null

  constructor(config: PoiModelConfig, opts: CreateModelOptions = {}) {
    this.config = config
    this.geometry = computeGeometry(config)
    this.warnings = configWarnings(config)
    this.registry = new ParamRegistry(config.seed)
    const ex = config.extractor
    try {
      if (ex.kind === 'resnet') {
        this.extractor = resnetExtractor(this.registry, ex, config.input.channels, config.bn, this.geometry.feature)
      } else if (ex.kind === 'vgg') {
        this.extractor = vggExtractor(this.registry, ex, config.input.channels, config.bn, this.geometry.feature)
      } else {
        if (!opts.frozenExtractor) {
          throw new Error(`extractor '${ex.name}' is of kind 'frozen' but no frozenExtractor function was given`)
        }
        const frozen = frozenExtractor(ex.name, opts.frozenExtractor, this.geometry.feature)
        this.extractor = ex.adapter === 'residual-conv' ? withResidualAdapter(this.registry, frozen, config.bn) : frozen
      }
      this.trn = buildTrn(this.registry, config, this.geometry)
      this.pin = this.geometry.pinEnabled ? buildPin(this.registry, config, this.geometry) : null
    } catch (e) {
      this.registry.dispose()
      throw e
    }
  }

  /** Throws with the offending shape/dtype unless x is [B, H, W, Ch] float32 as configured. */
  checkInput(x: tf.Tensor): asserts x is tf.Tensor4D {
    const { height, width, channels } = this.config.input
    if (x.rank !== 4 || x.shape[1] !== height || x.shape[2] !== width || x.shape[3] !== channels) {
      throw new Error(`model input has shape [${x.shape.join(', ')}], expected [B, ${height}, ${width}, ${channels}]`)
    }
    if (x.dtype !== 'float32') throw new Error(`model input has dtype ${x.dtype}, expected float32`)
    if (x.shape[0] < 1) throw new Error('model input has an empty batch')
  }

  /**
   * Low-level pass under a caller-owned context (used inside gradient tapes). Tensors are not tidied
   * and BN updates stay queued in ctx; prefer forward().
   */
  run(x: tf.Tensor4D, ctx: ForwardCtx): PoiOutputs {
    this.checkInput(x)
    const f = this.extractor.apply(x, ctx)
    const trnLogits = this.trn.apply(f, ctx)
    const out: PoiOutputs = { trnLogits, trnProbs: tf.softmax(trnLogits) }
    if (!this.pin) return out
    const raw = this.pin.apply(f, ctx)
    const T = this.config.temperature
    const regionProbs = tf.softmax(raw.regionLogits) as tf.Tensor3D
    const u = uem(regionProbs, this.config.uem)
    const auProb = {
      eye: tf.sigmoid(raw.auLogits.eye) as tf.Tensor3D,
      mouth: tf.sigmoid(raw.auLogits.mouth) as tf.Tensor3D
    }
    return {
      ...out,
      regionLogits: raw.regionLogits,
      regionProbs,
      gate: raw.gate,
      q: gateMix(raw.gate, temperedProbs(raw.regionLogits, T)),
      qT1: gateMix(raw.gate, regionProbs),
      uemUncertainty: u.uncertainty,
      uemConfidence: u.confidence,
      auLogits: raw.auLogits,
      auProb,
      auImportance: raw.auImportance
    }
  }

  /**
   * Full forward pass. Eval mode (default) uses BN running statistics; train mode uses batch
   * statistics and updates the running ones. Intermediates are disposed; the outputs are the caller's.
   */
  forward(x: tf.Tensor4D, opts: { training?: boolean } = {}): PoiOutputs {
    const ctx = newCtx(opts.training ?? false)
    try {
      const out = tf.tidy(() => this.run(x, ctx) as unknown as tf.TensorContainer) as unknown as PoiOutputs
      applyBnUpdates(ctx)
      return out
    } catch (e) {
      dropBnUpdates(ctx)
      throw e
    }
  }

  /** Deployment path (spec §5): E → TRN → softmax, eval mode. Returns p̂ [B, C]. */
  predictTrn(x: tf.Tensor4D): tf.Tensor2D {
    this.checkInput(x)
    const ctx = newCtx(false)
    return tf.tidy(() => tf.softmax(this.trn.apply(this.extractor.apply(x, ctx), ctx)))
  }

  /** Names of the variables the optimizer updates. */
  trainableNames(): string[] {
    return this.registry.trainable().map((e) => e.name)
  }

  /** Freezes every weight under a name prefix (e.g. 'extractor.'); frozen BN layers also stop updating statistics. */
  freeze(prefix: string): number {
    return this.registry.setTrainable(prefix, false)
  }

  unfreeze(prefix: string): number {
    return this.registry.setTrainable(prefix, true)
  }

  /** Parameter counts (learnable weights only): all, trainable now, and the TRN-only inference graph. */
  paramCounts(): { total: number; trainable: number; inference: number } {
    const w = (e: { role: string }) => e.role === 'weight'
    return {
      total: this.registry.count(w),
      trainable: this.registry.count((e) => w(e) && e.variable.trainable),
      inference: this.registry.count((e) => w(e) && (e.name.startsWith('extractor.') || e.name.startsWith('trn.')))
    }
  }

  /** Copies every variable (weights and BN running statistics) out of the backend. */
  getWeights(): WeightMap {
    const m: WeightMap = new Map()
    for (const e of this.registry.entries()) {
      m.set(e.name, { shape: [...e.variable.shape], data: new Float32Array(e.variable.dataSync() as Float32Array) })
    }
    return m
  }

  /**
   * Loads named weights. 'exact' (default): the map must hold exactly this model's names; 'subset':
   * only the names present are loaded (e.g. a pretrained extractor), unknown names still throw.
   * Every shape and length is checked before anything is assigned, so a failed load changes nothing.
   */
  setWeights(map: WeightMap, opts: { mode?: 'exact' | 'subset' } = {}): void {
    const mode = opts.mode ?? 'exact'
    const unknown = [...map.keys()].filter((n) => !this.registry.has(n))
    if (unknown.length)
      throw new Error(
        `weights for unknown variables: ${unknown.slice(0, 5).join(', ')}${unknown.length > 5 ? ', …' : ''}`
      )
    if (mode === 'exact') {
      const missing = this.registry.names().filter((n) => !map.has(n))
      if (missing.length)
        throw new Error(`weights missing for: ${missing.slice(0, 5).join(', ')}${missing.length > 5 ? ', …' : ''}`)
    }
    for (const [name, w] of map) {
      const v = this.registry.get(name)
      const same = w.shape.length === v.shape.length && w.shape.every((d, i) => d === v.shape[i])
      if (!same)
        throw new Error(`weight '${name}' has shape [${w.shape.join(', ')}], the model expects [${v.shape.join(', ')}]`)
      if (w.data.length !== v.size)
        throw new Error(`weight '${name}' holds ${w.data.length} values, its shape needs ${v.size}`)
    }
    for (const [name, w] of map) {
      const t = tf.tensor(w.data, w.shape, 'float32')
      this.registry.get(name).assign(t)
      t.dispose()
    }
  }

  dispose(): void {
    this.registry.dispose()
  }
}

/** Resolves defaults, validates, and builds the network. */
export function createPoiModel(
  config: PoiModelConfigInput | PoiModelConfig,
  opts: CreateModelOptions = {}
): PoiNetwork {
  return new PoiNetwork(resolveConfig(config as PoiModelConfigInput), opts)
}
