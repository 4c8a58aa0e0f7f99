/**
 * The training configuration: what `train()` runs, recorded in `runs.config` and in every checkpoint
 * manifest. One JSON object with a format name and version (checked on read), resolved from a partial
 * input (CLI flags, the app's TrainConfig) by filling the paper's recipe (spec §6) scaled to the
 * epoch budget.
 *
 * Backbones: 'slim' / 'resnet18' train end to end from the pixel cache; 'faceapi-*' are frozen face-api
 * extractors whose maps are computed once into a feature cache, with only the POI heads trained.
 */
import { z } from 'zod'
import type { ComputeBackend } from '../compute/backend'
import type { PoiModelConfigInput, Stem } from '../model/config'

export const TRAIN_CONFIG_FORMAT = 'poi-audit-train-config'
export const TRAIN_CONFIG_VERSION = 1

/**
 * Trainable nets (ResNets; 'vgg' = VGG-style 4 stages × 2 convs, see core/model/config VggExtractorConfig),
 * then the frozen face-api maps (see FROZEN_BACKBONES).
 */
export const BACKBONES = [
  'slim',
  'resnet18',
  'vgg',
  'faceapi-landmark',
  'faceapi-landmark-14',
  'faceapi-expression'
] as const
export type BackboneName = (typeof BACKBONES)[number]

/** What each frozen backbone reads from face-api (core/faceapi/frozen.ts). */
export const FROZEN_BACKBONES = {
  'faceapi-landmark': { extractor: 'landmark68.dense3', featureShape: [7, 7, 256] },
  'faceapi-landmark-14': { extractor: 'landmark68.dense2', featureShape: [14, 14, 128] },
  // Trained on expression labels: never use it for FER2013 benchmarks (bench scripts refuse it).
  'faceapi-expression': { extractor: 'expression.dense3', featureShape: [7, 7, 256] }
} as const satisfies Partial<
  Record<BackboneName, { extractor: string; featureShape: readonly [number, number, number] }>
>

export function isFrozenBackbone(b: BackboneName): b is keyof typeof FROZEN_BACKBONES {
  return b in FROZEN_BACKBONES
}

/** Everything `train()` needs besides the data and the runtime (backend, threads). */
export interface TrainConfig {
  format: typeof TRAIN_CONFIG_FORMAT
  version: typeof TRAIN_CONFIG_VERSION
  /** 'poi': the full network; 'ce': extractor + TRN with plain cross-entropy (the baseline). */
  mode: 'poi' | 'ce'
  backbone: BackboneName
  /** ResNet stem (ignored for frozen backbones). */
  stem: Stem
  /** Stage widths override for the ResNets (default: the arch's widths). */
  widths: [number, number, number, number] | null
  /** BasicBlocks per stage override (default 2,2,2,2). */
  blocks: [number, number, number, number] | null
  /** Square side of the pixel-cache images fed to the model (pixels). */
  inputSize: number
  /** 1 = gray, 3 = RGB (the pixel cache's channels). */
  channels: 1 | 3
  epochs: number
  batchSize: number
  /** Initial learning rate (paper: 0.1 at batch 256). */
  lr: number
  /** ×gamma at each milestone; milestones are fractions of `epochs` (paper: 20 and 40 of 60 → 1/3, 2/3). */
  schedule: { milestones: number[]; gamma: number }
  momentum: number
  weightDecay: number
  augment: {
    /** Random horizontal flip with probability 0.5. */
    flip: boolean
    /** Max random shift, as a fraction of the side (0.1 = up to ±10 %). Edge pixels repeat. */
    translate: number
    /** Max brightness offset, fraction of full scale (added). */
    brightness: number
    /** Max contrast change: pixels scaled about the image mean by a factor in [1 − c, 1 + c]. */
    contrast: number
    /** Max saturation change for RGB images (ignored for gray: no colour jitter on gray). */
    saturation: number
  }
  /** Pixel scaling after augmentation: 'unit' = [0, 1]; 'standardize' = per-image zero mean, unit variance. */
  normalize: 'unit' | 'standardize'
  /** Share of the train pool held out for validation when the project has no 'val' split (0 = none). */
  valFraction: number
  /**
   * Train the cross-entropy terms (TRN and PIN CE) on vote distributions instead of one-hot labels, for
   * images that have votes and no curator verdict: named annotators' votes (annotator_votes), else the
   * source's own (FERPlus's ten votes, JAFFE's rater scores; store/votes.ts voteTargets). Default true;
   * absent in configs written before it existed = true. Without votes in the project it changes nothing.
   */
  softTargets?: boolean
  /** 0 = one model, scored in-training; k ≥ 2 = k models, each image scored by the one that did not train on it. */
  kfold: number
  seed: number
  /** Score every image with the trained model(s) when training ends (writes `predictions`). */
  scoreAfter: boolean
  /** Also write a checkpoint mid-epoch when this many minutes passed since the last one (0 = epoch ends only). */
  checkpointMinutes: number
  /** Overrides of the POI model configuration (pin, loss, temperature, ablation, …; see core/model/config). */
  model: Omit<PoiModelConfigInput, 'classes' | 'input' | 'extractor' | 'mode' | 'seed' | 'optimizer'> & {
    /**
     * Frozen backbones only: the trainable shared adapter on the frozen map (core/model/config
     * FrozenExtractorConfig.adapter).
     */
    extractor?: { adapter?: 'none' | 'residual-conv' }
  }
}

type DeepPartial<T> = T extends Array<unknown> ? T : T extends object ? { [K in keyof T]?: DeepPartial<T[K]> } : T
export type TrainConfigInput = DeepPartial<Omit<TrainConfig, 'format' | 'version' | 'model'>> & {
  model?: TrainConfig['model']
}

/**
 * The CPU default backbone, chosen by bench/config-search.ts: on FER2013 (2 cores) the frozen face-api
 * landmark map with POI heads reaches a higher accuracy than the from-scratch slim ResNets at every equal
 * wall time past its one-off feature extraction, and its feature cache makes every later run cheaper
 * (docs/compute-defaults.md). On a GPU backend the paper's ResNet-18 is the default.
 */
export const CPU_DEFAULT = { backbone: 'faceapi-landmark', stem: 'imagenet', widths: null, blocks: null } as const

/**
 * The fastest from-scratch network measured here (slim ResNet 16-32-64-128, one block per stage, ImageNet
 * stem): the choice for synthetic faces (the demo, the acceptance test) and when no pretrained face net fits.
 */
export function slimFast(): Pick<TrainConfigInput, 'backbone' | 'stem' | 'widths' | 'blocks'> {
  return { backbone: 'slim', stem: 'imagenet', widths: [16, 32, 64, 128], blocks: [1, 1, 1, 1] }
}

/**
 * The native-CPU default (tfjs-node): the VGG-style net trained end to end with every POI loss — the
 * paper's joint setting, which wasm could not afford — at the project's input size (48 px for FER2013).
 * Chosen by bench:speed / bench:noisy on this 2-core machine (docs/compute-defaults.md).
 */
export const NATIVE_DEFAULT = { backbone: 'vgg', stem: 'cifar', widths: null, blocks: null } as const

/** Default backbone settings for a compute backend. */
export function defaultBackbone(
  backend: ComputeBackend | null,
  gpu: boolean | null
): Pick<TrainConfig, 'backbone' | 'stem' | 'widths' | 'blocks'> {
  if (backend === 'tfjs-node-gpu' && gpu !== false)
    return { backbone: 'resnet18', stem: 'imagenet', widths: null, blocks: null }
  if (backend === 'tfjs-node' || backend === 'tfjs-node-gpu') return { ...NATIVE_DEFAULT }
  return {
    backbone: CPU_DEFAULT.backbone,
    stem: CPU_DEFAULT.stem,
    widths: CPU_DEFAULT.widths,
    blocks: CPU_DEFAULT.blocks
  }
}

/** Default epochs: heads on cached frozen features converge in far fewer epochs than a network from scratch. */
export const DEFAULT_EPOCHS = { frozen: 10, scratch: 30 } as const

/**
 * The native-CPU recipe for the default VGG net, from the FER2013 runs on this 2-core machine
 * (docs/compute-defaults.md): batch 64 at lr 0.1 (the same lr per image as the paper's 0.05 at 32,
 * fewer and larger kernels: native pays per op), and epochs from a budget of image passes instead of a
 * fixed count, because CPU time scales with images seen: 180,000 passes over FER2013's 35,887 labelled
 * images = 5 epochs (about 30–35 min of POI training idle here; POI 5 epochs was the measured setting),
 * while a small set (CK+48's 981) keeps the 30-epoch cap it needs to converge.
 *
 * From `kfoldFrom` labelled images the default is 2-fold: every image scored by a model that never saw
 * it (cleanlab's requirement for label-error ranking), at about the cost of one model (each trains on
 * half the images for the same epochs). Below it one model scores in-training (the demo's 2,000 faces,
 * CK+48): halving a small set weakens each model most (a judgement, not measured here). `--kfold`
 * (0 = one model) overrides.
 */
export const NATIVE_RECIPE = {
  batchSize: 64,
  lr: 0.1,
  imagePasses: 180_000,
  minEpochs: 5,
  maxEpochs: 30,
  kfold: 2,
  kfoldFrom: 10_000
} as const

/** Default epochs for a from-scratch net on native CPU, for a project with `labelled` labelled images. */
export function nativeDefaultEpochs(labelled: number): number {
  if (!(labelled > 0)) return NATIVE_RECIPE.maxEpochs
  const e = Math.round(NATIVE_RECIPE.imagePasses / labelled)
  return Math.min(NATIVE_RECIPE.maxEpochs, Math.max(NATIVE_RECIPE.minEpochs, e))
}

const posInt = z.number().int().positive()
const frac = z.number().finite().min(0).max(1)
const quad = z.tuple([posInt, posInt, posInt, posInt]).nullable()

const schema = z
  .object({
    format: z.literal(TRAIN_CONFIG_FORMAT),
    version: z.literal(TRAIN_CONFIG_VERSION),
    mode: z.enum(['poi', 'ce']),
    backbone: z.enum(BACKBONES),
    stem: z.enum(['imagenet', 'stride2', 'cifar']),
    widths: quad,
    blocks: quad,
    inputSize: z.number().int().min(16).max(512),
    channels: z.union([z.literal(1), z.literal(3)]),
    epochs: z.number().int().min(1).max(1000),
    batchSize: z.number().int().min(2).max(1024),
    lr: z.number().finite().positive().max(10),
    schedule: z
      .object({
        milestones: z.array(z.number().finite().gt(0).lt(1)).max(10),
        gamma: z.number().finite().positive().max(1)
      })
      .strict(),
    momentum: frac,
    weightDecay: z.number().finite().min(0).max(1),
    augment: z
      .object({
        flip: z.boolean(),
        translate: z.number().finite().min(0).max(0.5),
        brightness: frac,
        contrast: frac,
        saturation: frac
      })
      .strict(),
    normalize: z.enum(['unit', 'standardize']),
    valFraction: z.number().finite().min(0).max(0.5),
    softTargets: z.boolean().optional(),
    kfold: z
      .number()
      .int()
      .min(0)
      .max(20)
      .refine((k) => k !== 1, { message: 'kfold must be 0 or 2..20' }),
    seed: z
      .number()
      .int()
      .min(0)
      .max(2 ** 32 - 1),
    scoreAfter: z.boolean(),
    checkpointMinutes: z.number().finite().min(0),
    model: z.record(z.string(), z.unknown())
  })
  .strict()

export class TrainConfigError extends Error {
  constructor(message: string) {
    super(message)
    this.name = 'TrainConfigError'
  }
}

function pick<T>(v: T | undefined, d: T): T {
  return v === undefined ? d : v
}

/** Project facts the defaults depend on. */
export interface TrainDefaults {
  inputSize: number
  channels: 1 | 3
  backend?: ComputeBackend | null
  gpu?: boolean | null
  /** Labelled images in the project: sizes the native-CPU default epochs (nativeDefaultEpochs). */
  labelled?: number
}

/**
 * Fills every unset option (paper recipe, CPU/GPU default backbone, the project's input size) and
 * validates. Explicit `backbone` without `stem`/`widths`/`blocks` gets that backbone's own defaults.
 */
export function resolveTrainConfig(input: TrainConfigInput, d: TrainDefaults): TrainConfig {
  const auto = defaultBackbone(d.backend ?? null, d.gpu ?? null)
  const backbone = pick(input.backbone, auto.backbone)
  const sameAsAuto = backbone === auto.backbone
  // Native CPU (no GPU): epochs from the pass budget for any from-scratch net; the measured batch and
  // lr for the default net only (other nets keep the paper's recipe: not measured here).
  const nativeCpu = d.backend === 'tfjs-node' || (d.backend === 'tfjs-node-gpu' && d.gpu === false)
  const scratchEpochs = nativeCpu && d.labelled != null ? nativeDefaultEpochs(d.labelled) : DEFAULT_EPOCHS.scratch
  const recipe = nativeCpu && sameAsAuto ? NATIVE_RECIPE : { batchSize: 32, lr: 0.05 }
  const bigNative = nativeCpu && !isFrozenBackbone(backbone) && (d.labelled ?? 0) >= NATIVE_RECIPE.kfoldFrom
  const a = input.augment ?? {}
  const cfg: TrainConfig = {
    format: TRAIN_CONFIG_FORMAT,
    version: TRAIN_CONFIG_VERSION,
    mode: pick(input.mode, 'poi'),
    backbone,
    stem: pick(input.stem, sameAsAuto ? auto.stem : 'imagenet'),
    widths: pick(input.widths as TrainConfig['widths'] | undefined, sameAsAuto ? auto.widths : null),
    blocks: pick(input.blocks as TrainConfig['blocks'] | undefined, sameAsAuto ? auto.blocks : null),
    inputSize: pick(input.inputSize, d.inputSize),
    channels: pick(input.channels, d.channels),
    epochs: pick(input.epochs, isFrozenBackbone(backbone) ? DEFAULT_EPOCHS.frozen : scratchEpochs),
    batchSize: pick(input.batchSize, recipe.batchSize),
    lr: pick(input.lr, recipe.lr),
    schedule: { milestones: input.schedule?.milestones ?? [1 / 3, 2 / 3], gamma: pick(input.schedule?.gamma, 0.1) },
    momentum: pick(input.momentum, 0.9),
    weightDecay: pick(input.weightDecay, 1e-4),
    augment: {
      flip: pick(a.flip, true),
      translate: pick(a.translate, 0.08),
      brightness: pick(a.brightness, 0.15),
      contrast: pick(a.contrast, 0.2),
      saturation: pick(a.saturation, 0.2)
    },
    normalize: pick(input.normalize, 'standardize'),
    valFraction: pick(input.valFraction, 0.1),
    softTargets: pick(input.softTargets, true),
    kfold: pick(input.kfold, bigNative ? NATIVE_RECIPE.kfold : 0),
    seed: pick(input.seed, 1),
    scoreAfter: pick(input.scoreAfter, true),
    checkpointMinutes: pick(input.checkpointMinutes, 10),
    model: input.model ?? {}
  }
  return parseTrainConfig(cfg)
}

/** Validates a complete config (e.g. from a checkpoint or `runs.config`); errors name the option and value. */
export function parseTrainConfig(raw: unknown, source = 'training config'): TrainConfig {
  const head = raw as { format?: unknown; version?: unknown } | null
  if (!head || typeof head !== 'object' || head.format !== TRAIN_CONFIG_FORMAT) {
    throw new TrainConfigError(
      `${source}: not a POI Audit training config (format ${JSON.stringify(head?.format)}, expected "${TRAIN_CONFIG_FORMAT}")`
    )
  }
  if (head.version !== TRAIN_CONFIG_VERSION) {
    throw new TrainConfigError(
      `${source}: version ${JSON.stringify(head.version)} is not supported (this build reads version ${TRAIN_CONFIG_VERSION})`
    )
  }
  const r = schema.safeParse(raw)
  if (!r.success) {
    const msgs = r.error.issues.map((i) => {
      let v: unknown = raw
      for (const k of i.path) v = v == null ? undefined : (v as Record<PropertyKey, unknown>)[k as PropertyKey]
      const got = v === undefined || (typeof v === 'object' && v !== null) ? '' : ` (got ${JSON.stringify(v)})`
      return `${i.path.join('.') || '(root)'}: ${i.message}${got}`
    })
    throw new TrainConfigError(`${source}: ${msgs.join('; ')}`)
  }
  const cfg = r.data as TrainConfig
  const ms = cfg.schedule.milestones
  if (ms.some((m, i) => i > 0 && m <= ms[i - 1]))
    throw new TrainConfigError(`${source}: schedule.milestones must increase (got ${ms.join(', ')})`)
  if (isFrozenBackbone(cfg.backbone) && cfg.augment.translate + cfg.augment.brightness + cfg.augment.contrast > 0) {
    // Features are cached once per image (and its mirror); pixel jitter cannot reach them.
    cfg.augment = { ...cfg.augment, translate: 0, brightness: 0, contrast: 0, saturation: 0 }
  }
  return cfg
}

/** Learning rate for an epoch (0-based): lr × gamma^(milestones passed), milestones at round(f·epochs). */
export function lrAt(cfg: Pick<TrainConfig, 'lr' | 'epochs' | 'schedule'>, epoch: number): number {
  let lr = cfg.lr
  for (const f of cfg.schedule.milestones)
    if (epoch >= Math.max(1, Math.round(f * cfg.epochs))) lr *= cfg.schedule.gamma
  return lr
}

/** A one-line summary for logs and the CLI. */
export function describeTrainConfig(cfg: TrainConfig): string {
  const arch = isFrozenBackbone(cfg.backbone)
    ? `${cfg.backbone} (frozen ${FROZEN_BACKBONES[cfg.backbone].extractor}, ${
        cfg.model.extractor?.adapter === 'residual-conv' ? 'trainable residual-conv adapter + heads' : 'heads only'
      })`
    : `${cfg.backbone}${cfg.widths ? ` ${cfg.widths.join('-')}` : ''}${cfg.blocks ? ` blocks ${cfg.blocks.join('-')}` : ''} stem ${cfg.stem}`
  return `${cfg.mode.toUpperCase()} ${arch}, ${cfg.inputSize}×${cfg.inputSize}×${cfg.channels}, ${cfg.epochs} epochs, batch ${cfg.batchSize}, lr ${cfg.lr} (×${cfg.schedule.gamma} at ${cfg.schedule.milestones.map((m) => Math.max(1, Math.round(m * cfg.epochs))).join(', ')}), ${describeAugment(cfg)}, seed ${cfg.seed}${cfg.kfold ? `, ${cfg.kfold}-fold` : ''}`
}

/**
 * The augmentation a run really uses. For frozen backbones parseTrainConfig turns pixel jitter off
 * (features are cached once per image and its mirror, so it could not reach them); the summary says
 * so instead of letting a requested augmentation vanish without a word.
 */
export function describeAugment(cfg: Pick<TrainConfig, 'backbone' | 'augment'>): string {
  const a = cfg.augment
  if (isFrozenBackbone(cfg.backbone))
    return `augment ${a.flip ? 'flip only' : 'none'} (pixel augmentation off: frozen features are cached once per image and its mirror)`
  const parts = [
    a.flip ? 'flip' : '',
    a.translate ? `translate ±${a.translate}` : '',
    a.brightness ? `brightness ±${a.brightness}` : '',
    a.contrast ? `contrast ±${a.contrast}` : ''
  ]
  const on = parts.filter(Boolean)
  return `augment ${on.length ? on.join(', ') : 'none'}`
}
