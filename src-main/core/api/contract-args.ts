/**
 * Part of THE app API contract (contract.ts re-exports it; import from there): argument schemas shared by several
 * methods (queue filter and sort, decisions, export scope, train config).
 * Imported by the renderer too, so it imports nothing from Node.
 */
import { z } from 'zod'
import { LABEL_STATES, LIMITS, REVIEW_STATES, SPLITS, zClassIdx, zFlag, zId, zProb, zText } from './contract-base'

// #region shared argument schemas

/** Which images a queue, count, export or bulk action covers. All filters AND together. */
export const zQueueFilter = z.strictObject({
  /** Current (given) label is one of these class indices. */
  given: z.array(zClassIdx).max(LIMITS.maxClasses).optional(),
  /** The audit's suggested label is one of these (needs an audit). */
  suggested: z.array(zClassIdx).max(LIMITS.maxClasses).optional(),
  /** One confusion-matrix cell: given label and suggested label (needs an audit). */
  pair: z.strictObject({ given: zClassIdx, suggested: zClassIdx }).optional(),
  /** Has at least one of these audit flags (needs an audit). */
  flags: z.array(zFlag).max(32).optional(),
  /**
   * unreviewed = no decision yet; reviewed = any decision but skip; skipped = only skips; adjudicate = curators'
   * latest decisions disagree and nobody has decided since (queries/adjudicate.ts).
   */
  review: z.enum(['any', 'unreviewed', 'reviewed', 'skipped', 'adjudicate']).optional(),
  /**
   * 'me' = only the images of the session curator's assignment (assignments.set), ANDed with the rest; no
   * assignment → an empty page whose `emptyReason` says so.
   */
  assigned: z.literal('me').optional(),
  /** Decision is one of these review states. */
  decisions: z.array(z.enum(REVIEW_STATES)).max(REVIEW_STATES.length).optional(),
  /** UEM confidence c_i within [min, max] (needs predictions). */
  confidence: z.strictObject({ min: zProb, max: zProb }).optional(),
  /** Annotation state is one of these. */
  states: z.array(z.enum(LABEL_STATES)).max(LABEL_STATES.length).optional(),
  /** Split is one of these ('none' = no split assigned). */
  splits: z
    .array(z.enum([...SPLITS, 'none']))
    .max(4)
    .optional(),
  /** Only images that have an exact duplicate (same bytes) in the project. */
  duplicatesOnly: z.boolean().optional(),
  /** Relative path contains this text (case-insensitive). */
  pathContains: zText(256).optional(),
  /** Only these images: a client re-reading the rows it shows (after undo, a bulk decision, another window's edit). */
  imageIds: z.array(zId).min(1).max(LIMITS.maxPage).optional()
})
export type QueueFilter = z.input<typeof zQueueFilter>

/**
 * What a curator is assigned: a queue filter without `assigned` (an assignment cannot refer to assignments) and
 * without `imageIds` (a list of rows is a client's view, not a share of the work).
 */
export const zAssignmentFilter = zQueueFilter.omit({ assigned: true, imageIds: true })
export type AssignmentFilter = z.input<typeof zAssignmentFilter>
/** A curator's name as decisions record it (label_history.actor). */
export const zActor = zText(128, 1).refine((s) => s.trim().length > 0, { message: 'a curator name is needed' })

/**
 * Queue order. score = the audit's label-quality score, lower = more suspicious, so 'asc' (the
 * default dir) lists likely label errors first; confidence = UEM confidence; id = import order;
 * learned = the learning queue's order (queue.learning; needs a re-rank of the current audit).
 * Images without a key (not scored, no prediction) come last, in id order.
 * Default: learned when the learning queue is on and has re-ranked the current audit, else score asc
 * when an audit exists, else id asc.
 */
export const zQueueSort = z.strictObject({
  by: z.enum(['score', 'id', 'confidence', 'learned']),
  dir: z.enum(['asc', 'desc']).optional()
})
export type QueueSort = z.input<typeof zQueueSort>

/** What a curator decided for one image. */
export const zDecision = z.discriminatedUnion('kind', [
  /** Take the audit's suggested label. `label` is the suggestion the UI showed; CONFLICT if it changed. */
  z.strictObject({ kind: z.literal('accept'), label: zClassIdx.optional() }),
  /** The given label is right. */
  z.strictObject({ kind: z.literal('keep') }),
  /** Set another label. */
  z.strictObject({ kind: z.literal('relabel'), label: zClassIdx }),
  /** Leave the image out of training and exports (not a usable face, wrong crop, ...). */
  z.strictObject({ kind: z.literal('exclude') }),
  /**
   * Genuinely ambiguous. `softLabel` (one probability per class, summing to 1) is kept as the target;
   * omitted → the model's OIM soft label when there is one, else no soft label.
   */
  z.strictObject({ kind: z.literal('ambiguous'), softLabel: z.array(zProb).min(2).max(LIMITS.maxClasses).optional() }),
  /** Decide later. */
  z.strictObject({ kind: z.literal('skip') })
])
export type Decision = z.input<typeof zDecision>

/** Which images an export covers. */
export const zExportScope = z.discriminatedUnion('kind', [
  z.strictObject({ kind: z.literal('all') }),
  /** Images with any curator decision. */
  z.strictObject({ kind: z.literal('reviewed') }),
  /** Images whose label or state differs from the imported one. */
  z.strictObject({ kind: z.literal('changed') }),
  /** Images with any of these audit flags (default: the actionable ones); needs an audit. */
  z.strictObject({ kind: z.literal('flagged'), flags: z.array(zFlag).max(32).optional() }),
  z.strictObject({ kind: z.literal('filter'), filter: zQueueFilter }),
  z.strictObject({ kind: z.literal('ids'), ids: z.array(zId).min(1).max(LIMITS.maxBulk) })
])
export type ExportScope = z.input<typeof zExportScope>

export const EXPORT_FORMATS = ['csv', 'jsonl', 'ferplus', 'folders', 'labelstudio', 'cleanlab'] as const
export const IMPORT_FORMATS = ['auto', 'folder', 'csv', 'ferplus', 'rafdb', 'affectnet', 'demo'] as const
export const TRAIN_BACKENDS = ['auto', 'tfjs-node-gpu', 'tfjs-node', 'wasm', 'cpu'] as const
/**
 * 'auto' = the engine's default for the backend that runs (VGG-style net trained end to end on native
 * TensorFlow, frozen face-api landmark map + POI heads on wasm, ResNet-18 on a GPU), then the engine's BACKBONES
 * (core/run/config.ts; a test keeps
 * the two lists equal).
 */
export const TRAIN_BACKBONES = [
  'auto',
  'slim',
  'resnet18',
  'vgg',
  'faceapi-landmark',
  'faceapi-landmark-14',
  'faceapi-expression'
] as const
export const DIALOG_PURPOSES = [
  'project-open',
  'project-create',
  'import-folder',
  'import-file',
  'export-dest'
] as const

/**
 * Training configuration; every field optional, the engine fills the spec's defaults
 * (../shared/poi-spec.md §4, §6) and records the full config in `runs.config`.
 */
export const zTrainConfig = z.strictObject({
  /** poi = the full POI network; ce = the plain cross-entropy baseline (TRN only). */
  model: z.enum(['poi', 'ce']).optional(),
  epochs: z.number().int().min(1).max(1000).optional(),
  batchSize: z.number().int().min(1).max(1024).optional(),
  learningRate: z.number().gt(0).max(10).optional(),
  /** Square input side in pixels. */
  inputSize: z.union([z.literal(48), z.literal(64), z.literal(112), z.literal(224)]).optional(),
  /** 0 = one model scored in-training; k ≥ 2 = k-fold out-of-sample scores. */
  folds: z
    .number()
    .int()
    .min(0)
    .max(10)
    .refine((k) => k !== 1, { message: 'folds must be 0 or 2..10' })
    .optional(),
  seed: z
    .number()
    .int()
    .min(0)
    .max(2 ** 31 - 1)
    .optional(),
  backend: z.enum(TRAIN_BACKENDS).optional(),
  /** Shared extractor; frozen face-api backbones read their own input size (112 or 150 px) from the aligned face. */
  backbone: z.enum(TRAIN_BACKBONES).optional(),
  /** Distillation temperature T (spec eq. 6). */
  temperature: z.number().min(0.1).max(20).optional(),
  /** Corner-crop side k on the shared feature map (spec §2.2). */
  cropK: z.number().int().min(1).max(32).optional(),
  /** λ1 (AU), λ2 (PIN CE), λ3 (TRN CE) of spec eq. 12. */
  lambdas: z
    .strictObject({
      au: z.number().min(0).max(100),
      pinCe: z.number().min(0).max(100),
      trnCe: z.number().min(0).max(100)
    })
    .optional(),
  /** AU pseudolabel smoothing ε. */
  smoothing: z.number().min(0).max(0.5).optional(),
  /** Share of the train split held out for validation. */
  valFraction: z.number().min(0).max(0.5).optional(),
  /** Train on annotators' vote distributions as soft targets where images have votes (default true). */
  softTargets: z.boolean().optional()
})
export type TrainConfig = z.input<typeof zTrainConfig>

// #endregion
