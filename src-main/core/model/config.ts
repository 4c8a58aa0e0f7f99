/**
 * The POI network's configuration: one JSON-serialisable object holding every architectural, loss and
 * optimiser option, with the defaults recommended by ../shared/poi-spec.md. Every choice the spec marks
 * RECONSTRUCTED is a named option here; `describeConfig` (describe.ts) says which value is in use.
 *
 * Stored with checkpoints, so it carries `format` + `version` and `parseModelConfig` checks both.
 */
import { z } from 'zod'
import { CANONICAL_CLASSES, type ClassName } from '../classes'

export const MODEL_CONFIG_FORMAT = 'poi-audit-model-config'
export const MODEL_CONFIG_VERSION = 1

/** Channel widths of the four ResNet stages (layer1..layer4). */
export const ARCH_WIDTHS = {
  resnet18: [64, 128, 256, 512],
  slim: [32, 64, 128, 256]
} as const satisfies Record<string, readonly [number, number, number, number]>

export type Arch = keyof typeof ARCH_WIDTHS
/**
 * 'imagenet': 7×7 stride-2 conv + 3×3 stride-2 max-pool (torchvision); 'stride2': 3×3 stride-2 conv, no
 * pool; 'cifar': 3×3 stride-1 conv, no pool. All followed by BN + ReLU.
 */
export type Stem = 'imagenet' | 'stride2' | 'cifar'
type Quad = [number, number, number, number]

/** A trainable ResNet extractor E = stem + layer1..layer3 (spec §2.1, crop level RECONSTRUCTED §7.1). */
export interface ResnetExtractorConfig {
  kind: 'resnet'
  arch: Arch
  stem: Stem
  /** Stage widths layer1..layer4; defaults to ARCH_WIDTHS[arch]. layer4's width is C4 (TRN and PIN f). */
  widths: Quad
  /** BasicBlocks per stage (ResNet-18: 2,2,2,2). */
  blocks: Quad
}

/**
 * An injected, non-trainable extractor (a pretrained face backbone, or identity over cached features).
 * The function itself is passed to createPoiModel; the config only records what it must return.
 */
export interface FrozenExtractorConfig {
  kind: 'frozen'
  /** Free-text id of the backbone (e.g. 'face-api-expression/dense3'), recorded with checkpoints. */
  name: string
  /** [H3, W3, C3] of the map the function returns per image. */
  featureShape: [number, number, number]
  /** C4: width of the TRN stage and of each PIN branch output f. */
  headWidth: number
  /**
   * Trainable shared stage on the frozen map, F' = F + ReLU(BN(conv3×3(F))), variables under
   * 'extractor.adapter.'. RECONSTRUCTED for frozen backbones (not in the paper, whose E is trained end to
   * end): without it the PIN and the TRN share no trainable weight, so the PIN's losses cannot shape
   * the features the TRN reads, which is the mechanism of §2.1. 'none' (or absent, as in checkpoints
   * written before the option existed) = F unchanged, the CPU default.
   */
  adapter?: 'none' | 'residual-conv'
}

/**
 * A trainable VGG-style extractor for small faces (48–112 px), OURS (not in the paper): stages of
 * `convs` × (3×3 conv + BN + ReLU), a 2×2 max-pool after stages 1 and 2 only (no early downsampling),
 * E = stages 1..3, so F = [H/4, W/4, widths[2]]. The TRN and each PIN branch own a stage-4 copy
 * (TRN: 2×2 max-pool first; branches: stride branchStride).
 */
export interface VggExtractorConfig {
  kind: 'vgg'
  /** Widths of stages 1..4; stage 4's is C4. */
  widths: Quad
  /** 3×3 convs per stage (2 = the classic VGG block). */
  convs: number
}

export type ExtractorConfig = ResnetExtractorConfig | VggExtractorConfig | FrozenExtractorConfig

/** Default VGG widths: measured as the fastest net that trains well from scratch on 48-px faces here. */
export const VGG_WIDTHS: Quad = [32, 64, 128, 256]

export interface PoiModelConfig {
  format: typeof MODEL_CONFIG_FORMAT
  version: typeof MODEL_CONFIG_VERSION
  /** The project's ordered class list; class index i in labels and outputs is classes[i]. C = length. */
  classes: ClassName[]
  /**
   * What forward() receives per image: [height, width, channels] (for a frozen extractor fed cached features, the
   * feature map).
   */
  input: { height: number; width: number; channels: number }
  extractor: ExtractorConfig
  /** 'poi': full network; 'baseline': extractor + TRN trained with plain CE (the CE comparison model). */
  mode: 'poi' | 'baseline'
  /**
   * TRN stage on F: 'layer4' = BasicBlock stage C3→C4 stride 2 (spec §2.1); 'conv' = one 3×3 conv+BN+ReLU, stride 1
   * (for frozen maps).
   */
  trnStage: 'layer4' | 'conv'
  pin: {
    /** Corner-crop size k on F; 'auto' = floor(9·H3/14 + 0.5) clamped to [2, min(H3, W3)] (§7.17). */
    cropK: number | 'auto'
    /** Branch stage: 'layer4' = BasicBlock stage C3→C4 (§2.3, recommended); 'conv' = one 3×3 conv+BN+ReLU. */
    branch: 'layer4' | 'conv'
    /** Stride of the branch stage's first conv (spec recommends 1, as MA-Net's local branches). */
    branchStride: 1 | 2
    /** Width of the AU latent a (spec: 512). */
    auHidden: number
    /** Width d' of the reduced AU representation h (spec: 64). */
    auReduced: number
    /** Importance w per AU: 'scalar' sigmoid (recommended) or a 'vector' gate of width auHidden (§7.3). */
    importance: 'scalar' | 'vector'
    /** OIM gate: 'fc-zero' = FC + softmax with zero init (§2.5, starts uniform); 'one' = FC+BN+ReLU+softmax (ONE). */
    gate: 'fc-zero' | 'one'
  }
  /** Temperature T of p^T and q (paper: 3). */
  temperature: number
  /**
   * UEM formula (RECONSTRUCTED, §7.9): 'variance' = normalised predictive variance of the 4 region
   * predictions (eq. 10 as the spec reads it); 'mi' = their mutual information; 'entropy' = 1 − H(p̄)/log C,
   * the total predictive uncertainty of the regions' mean prediction (OURS: the two disagreement forms
   * saturate at c ≈ 1 once mutual learning has made the regions agree, which also switches L_OR off via
   * ω = 1 − c; see docs/compute-defaults.md).
   */
  uem: 'variance' | 'mi' | 'entropy'
  ablation: {
    /** TRN only (same network as mode 'baseline'). */
    noPIN: boolean
    /** Uniform gate g = 1/4, no gate parameters. */
    noGate: boolean
    /** ω = 1 for every image instead of 1 − c. */
    noUEM: boolean
  }
  loss: {
    /** λ1 on L_AU. */
    lambda1: number
    /** λ2 on L_CE^PIN (must be < λ3 per the paper's prose). */
    lambda2: number
    /** λ3 on L_CE^TRN. */
    lambda3: number
    /** ε of the AU pseudolabel smoothing. */
    auEpsilon: number
    /** 'symmetric': 1 → 1−ε, 0 → ε (recommended); 'standard': (1−ε)y + ε/2. */
    auSmoothing: 'symmetric' | 'standard'
    /** Drop AU14 from L_AU when the class set has no contempt (it would always be a negative). */
    auMaskAU14: boolean
    /** Multiply both KL terms by T² (Hinton/ONE convention, §7.7). */
    klT2: boolean
    /**
     * 'poi': q not detached in L_KL, no gate loss (recommended); 'one': q detached for the students + CE −log q[y] on
     * the gate.
     */
    klVariant: 'poi' | 'one'
    /** Rescale ω over the batch so it averages 1 (ω_i·B/Σω). */
    normaliseOmega: boolean
    /**
     * Weight of L_KL (mutual learning); 0 switches it off (Table X ablation). Absent in configs written
     * before the option existed, which meant 1.
     */
    lambdaKl?: number
    /** Weight of L_OR (the objective soft-label loss on the TRN); 0 switches it off. Absent = 1. */
    lambdaOr?: number
    /**
     * Weight of the gate's own supervised loss −log q¹[y] on the T = 1 mixture (OURS, as ONE's gate CE):
     * in the 'poi' variant the gate otherwise learns only from L_KL, whose gradient pulls q towards the
     * regions' consensus and leaves g ≈ uniform. Absent (older configs) = 0.
     */
    lambdaGate?: number
  }
  bn: { momentum: number; eps: number }
  optimizer: {
    /** SGD momentum μ (paper: 0.9). */
    momentum: number
    /** Weight decay (paper: 1e-4). */
    weightDecay: number
    /**
     * 'l2': added to the gradient before momentum, as torch.optim.SGD does (default); 'decoupled': θ ← θ − lr·wd·θ
     * separately (SGDW).
     */
    weightDecayMode: 'l2' | 'decoupled'
  }
  /** Seed of the weight initialisation (each variable's stream is derived from seed + its name). */
  seed: number
}

/** Defaults of the options added with the native engine (see their docs above and docs/compute-defaults.md). */
export const DEFAULT_UEM: PoiModelConfig['uem'] = 'entropy'
export const DEFAULT_LAMBDA_GATE = 1

type DeepPartial<T> = T extends Array<unknown> ? T : T extends object ? { [K in keyof T]?: DeepPartial<T[K]> } : T

/** What callers pass: classes and input are required, everything else defaults. */
export type PoiModelConfigInput = DeepPartial<Omit<PoiModelConfig, 'extractor'>> & {
  classes: ClassName[]
  input: { height: number; width: number; channels: number }
  extractor?:
    | Partial<ResnetExtractorConfig>
    | (Partial<VggExtractorConfig> & { kind: 'vgg' })
    | (Partial<FrozenExtractorConfig> & { kind: 'frozen' })
}

const posInt = z.number().int().positive()
const quad = z.tuple([posInt, posInt, posInt, posInt])
const finite = z.number().finite()

const schema = z
  .object({
    format: z.literal(MODEL_CONFIG_FORMAT),
    version: z.literal(MODEL_CONFIG_VERSION),
    classes: z.array(z.enum(CANONICAL_CLASSES)).min(2),
    input: z.object({ height: posInt, width: posInt, channels: posInt }).strict(),
    extractor: z.discriminatedUnion('kind', [
      z
        .object({
          kind: z.literal('resnet'),
          arch: z.enum(['resnet18', 'slim']),
          stem: z.enum(['imagenet', 'stride2', 'cifar']),
          widths: quad,
          blocks: quad
        })
        .strict(),
      z.object({ kind: z.literal('vgg'), widths: quad, convs: posInt.max(4) }).strict(),
      z
        .object({
          kind: z.literal('frozen'),
          name: z.string().min(1),
          featureShape: z.tuple([posInt, posInt, posInt]),
          headWidth: posInt,
          adapter: z.enum(['none', 'residual-conv']).optional()
        })
        .strict()
    ]),
    mode: z.enum(['poi', 'baseline']),
    trnStage: z.enum(['layer4', 'conv']),
    pin: z
      .object({
        cropK: z.union([posInt, z.literal('auto')]),
        branch: z.enum(['layer4', 'conv']),
        branchStride: z.union([z.literal(1), z.literal(2)]),
        auHidden: posInt,
        auReduced: posInt,
        importance: z.enum(['scalar', 'vector']),
        gate: z.enum(['fc-zero', 'one'])
      })
      .strict(),
    temperature: finite.positive(),
    uem: z.enum(['variance', 'mi', 'entropy']),
    ablation: z.object({ noPIN: z.boolean(), noGate: z.boolean(), noUEM: z.boolean() }).strict(),
    loss: z
      .object({
        lambda1: finite.nonnegative(),
        lambda2: finite.nonnegative(),
        lambda3: finite.nonnegative(),
        auEpsilon: finite.min(0).max(0.5),
        auSmoothing: z.enum(['symmetric', 'standard']),
        auMaskAU14: z.boolean(),
        klT2: z.boolean(),
        klVariant: z.enum(['poi', 'one']),
        normaliseOmega: z.boolean(),
        lambdaKl: finite.nonnegative().optional(),
        lambdaOr: finite.nonnegative().optional(),
        lambdaGate: finite.nonnegative().optional()
      })
      .strict(),
    bn: z.object({ momentum: finite.min(0).max(1), eps: finite.positive() }).strict(),
    optimizer: z
      .object({
        momentum: finite.min(0).max(1),
        weightDecay: finite.nonnegative(),
        weightDecayMode: z.enum(['l2', 'decoupled'])
      })
      .strict(),
    seed: z.number().int()
  })
  .strict()

/** Thrown for any invalid configuration; the message names the option path and the bad value. */
export class ModelConfigError extends Error {
  constructor(message: string) {
    super(message)
    this.name = 'ModelConfigError'
  }
}

function pick<T>(v: T | undefined, d: T): T {
  return v === undefined ? d : v
}

/** Fills every unset option with the spec's recommended default, then validates (see parseModelConfig). */
export function resolveConfig(input: PoiModelConfigInput): PoiModelConfig {
  const ex = input.extractor ?? {}
  let extractor: ExtractorConfig
  if (ex.kind === 'frozen') {
    const f = ex as Partial<FrozenExtractorConfig>
    extractor = {
      kind: 'frozen',
      name: pick(f.name, 'frozen'),
      featureShape: f.featureShape as [number, number, number],
      headWidth: pick(f.headWidth, f.featureShape?.[2] ?? 256),
      adapter: pick(f.adapter, 'none')
    }
  } else if (ex.kind === 'vgg') {
    const v = ex as Partial<VggExtractorConfig>
    extractor = { kind: 'vgg', widths: v.widths ?? ([...VGG_WIDTHS] as Quad), convs: pick(v.convs, 2) }
  } else {
    const r = ex as Partial<ResnetExtractorConfig>
    const arch = pick(r.arch, 'resnet18')
    extractor = {
      kind: 'resnet',
      arch,
      stem: pick(r.stem, 'imagenet'),
      widths: r.widths ?? ([...(ARCH_WIDTHS[arch] ?? ARCH_WIDTHS.resnet18)] as Quad),
      blocks: r.blocks ?? [2, 2, 2, 2]
    }
  }
  const frozen = extractor.kind === 'frozen'
  const pin = input.pin ?? {}
  const loss = input.loss ?? {}
  const ab = input.ablation ?? {}
  const cfg: PoiModelConfig = {
    format: MODEL_CONFIG_FORMAT,
    version: MODEL_CONFIG_VERSION,
    classes: input.classes,
    input: input.input,
    extractor,
    mode: pick(input.mode, 'poi'),
    trnStage: pick(input.trnStage, frozen ? 'conv' : 'layer4'),
    pin: {
      cropK: pick(pin.cropK, 'auto'),
      branch: pick(pin.branch, frozen ? 'conv' : 'layer4'),
      branchStride: pick(pin.branchStride, 1),
      auHidden: pick(pin.auHidden, 512),
      auReduced: pick(pin.auReduced, 64),
      importance: pick(pin.importance, 'scalar'),
      gate: pick(pin.gate, 'fc-zero')
    },
    temperature: pick(input.temperature, 3),
    uem: pick(input.uem, DEFAULT_UEM),
    ablation: { noPIN: pick(ab.noPIN, false), noGate: pick(ab.noGate, false), noUEM: pick(ab.noUEM, false) },
    loss: {
      lambda1: pick(loss.lambda1, 0.5),
      lambda2: pick(loss.lambda2, 0.5),
      lambda3: pick(loss.lambda3, 1.0),
      auEpsilon: pick(loss.auEpsilon, 0.1),
      auSmoothing: pick(loss.auSmoothing, 'symmetric'),
      auMaskAU14: pick(loss.auMaskAU14, false),
      klT2: pick(loss.klT2, true),
      klVariant: pick(loss.klVariant, 'poi'),
      normaliseOmega: pick(loss.normaliseOmega, false),
      lambdaKl: pick(loss.lambdaKl, 1),
      lambdaOr: pick(loss.lambdaOr, 1),
      lambdaGate: pick(loss.lambdaGate, DEFAULT_LAMBDA_GATE)
    },
    bn: { momentum: pick(input.bn?.momentum, 0.1), eps: pick(input.bn?.eps, 1e-5) },
    optimizer: {
      momentum: pick(input.optimizer?.momentum, 0.9),
      weightDecay: pick(input.optimizer?.weightDecay, 1e-4),
      weightDecayMode: pick(input.optimizer?.weightDecayMode, 'l2')
    },
    seed: pick(input.seed, 1)
  }
  return parseModelConfig(cfg)
}

/**
 * Validates a complete configuration (e.g. read back from a checkpoint manifest): format, version,
 * every field's type and range, and the geometry (the feature map must be at least 2×2 and k must fit).
 */
export function parseModelConfig(raw: unknown): PoiModelConfig {
  const obj = raw as { format?: unknown; version?: unknown } | null
  if (obj && typeof obj === 'object' && obj.format === MODEL_CONFIG_FORMAT && obj.version !== MODEL_CONFIG_VERSION) {
    throw new ModelConfigError(
      `model config version ${String(obj.version)} is not supported (this build reads version ${MODEL_CONFIG_VERSION})`
    )
  }
  const r = schema.safeParse(raw)
  if (!r.success) {
    const msgs = r.error.issues.map((i) => {
      const path = i.path.join('.') || '(root)'
      let value: unknown = raw
      for (const key of i.path)
        value = value == null ? undefined : (value as Record<PropertyKey, unknown>)[key as PropertyKey]
      const got =
        value === undefined || (typeof value === 'object' && value !== null) ? '' : ` (got ${JSON.stringify(value)})`
      return `${path}: ${i.message}${got}`
    })
    throw new ModelConfigError(`invalid POI model config: ${msgs.join('; ')}`)
  }
  const cfg = r.data as PoiModelConfig
  if (new Set(cfg.classes).size !== cfg.classes.length) {
    throw new ModelConfigError(`invalid POI model config: classes contains a duplicate (${cfg.classes.join(', ')})`)
  }
  const g = computeGeometry(cfg)
  if (g.feature[0] < 2 || g.feature[1] < 2) {
    throw new ModelConfigError(
      `invalid POI model config: input ${cfg.input.height}×${cfg.input.width} gives a ${g.feature[0]}×${g.feature[1]} feature map; corner crops need at least 2×2 (use a larger input or the 'stride2'/'cifar' stem)`
    )
  }
  const minSide = Math.min(g.feature[0], g.feature[1])
  if (g.cropK > minSide) {
    throw new ModelConfigError(
      `invalid POI model config: pin.cropK ${g.cropK} is larger than the ${g.feature[0]}×${g.feature[1]} feature map`
    )
  }
  return cfg
}

/** Spatial bookkeeping derived from a config. */
export interface ModelGeometry {
  /** F = E(x) per image: [H3, W3, C3]. */
  feature: [number, number, number]
  /** Corner-crop size k. */
  cropK: number
  /** k / H3 (the paper's best: 9/14 ≈ 0.64). */
  kOverH: number
  /** C4: width of TRN and PIN branch features f. */
  c4: number
  /** Spatial size of each branch stage output. */
  branchOut: [number, number]
  /** Spatial size of the TRN stage output. */
  trnOut: [number, number]
  /** Whether the PIN (and so the gate, AU nets, UEM) exists in this configuration. */
  pinEnabled: boolean
}

/** PyTorch conv/pool output size: floor((n + 2p − k)/s) + 1. */
export function convOut(n: number, k: number, s: number, p: number): number {
  return Math.floor((n + 2 * p - k) / s) + 1
}

function stemOut(n: number, stem: Stem): number {
  if (stem === 'imagenet') return convOut(convOut(n, 7, 2, 3), 3, 2, 1)
  if (stem === 'stride2') return convOut(n, 3, 2, 1)
  return n
}

/** The default k: the paper's 9 on a 14-map scaled to H3, clamped to [2, side] (spec §7.17). */
export function autoCropK(h3: number, w3: number): number {
  return Math.max(2, Math.min(Math.floor((9 * h3) / 14 + 0.5), Math.min(h3, w3)))
}

export function computeGeometry(cfg: PoiModelConfig): ModelGeometry {
  let feature: [number, number, number]
  let c4: number
  const ex = cfg.extractor
  if (ex.kind === 'resnet') {
    let h = stemOut(cfg.input.height, ex.stem)
    let w = stemOut(cfg.input.width, ex.stem)
    // layer2 and layer3 open with a stride-2 3×3 conv (pad 1).
    for (let i = 0; i < 2; i++) {
      h = convOut(h, 3, 2, 1)
      w = convOut(w, 3, 2, 1)
    }
    feature = [h, w, ex.widths[2]]
    c4 = ex.widths[3]
  } else if (ex.kind === 'vgg') {
    // 2×2 max-pools (valid) after stages 1 and 2.
    feature = [Math.floor(cfg.input.height / 4), Math.floor(cfg.input.width / 4), ex.widths[2]]
    c4 = ex.widths[3]
  } else {
    feature = [...ex.featureShape]
    c4 = ex.headWidth
  }
  const [h3, w3] = feature
  const cropK = cfg.pin.cropK === 'auto' ? autoCropK(h3, w3) : cfg.pin.cropK
  const bs = cfg.pin.branchStride
  const branchOut: [number, number] = [convOut(cropK, 3, bs, 1), convOut(cropK, 3, bs, 1)]
  const trnOut: [number, number] =
    cfg.trnStage !== 'layer4'
      ? [h3, w3]
      : ex.kind === 'vgg'
        ? [Math.floor(h3 / 2), Math.floor(w3 / 2)]
        : [convOut(h3, 3, 2, 1), convOut(w3, 3, 2, 1)]
  return {
    feature,
    cropK,
    kOverH: cropK / h3,
    c4,
    branchOut,
    trnOut,
    pinEnabled: cfg.mode === 'poi' && !cfg.ablation.noPIN
  }
}
