/**
 * THE app API contract: method name → { args: zod schema, result: TypeScript type }, plus the event
 * and error shapes. Used by the Electron IPC wrapper, the preload, the HTTP server (browser mode) and
 * the renderer's client. Imported by the renderer too, so this file imports nothing from Node.
 *
 * Rules (see docs/security.md):
 * - Arguments are untrusted. Every schema is strict (unknown keys are refused), caps string lengths,
 *   array lengths and numeric ranges; zod 4 numbers are finite (NaN/±Infinity refused); text that can
 *   become a path or SQL parameter refuses NUL bytes.
 * - Every call answers `ApiResult<R>`: `{ok: true, value}` or `{ok: false, code, message}`. Expected
 *   failures (no project open, engine not in this build, stale UI) are codes, never thrown errors.
 * - Class labels are indices into the project's class list (`ProjectInfo.classes`).
 * - Additive changes only: new methods, new optional args, new result fields.
 */
import { z } from 'zod'
import type { ClassName } from '../classes'
import type { MethodName } from './methods'

// #region limits and primitives

/** Caps shared by the schemas and the server. */
export const LIMITS = {
  /** Largest class count a project can have (the canonical list has 8). */
  maxClasses: 16,
  /** Largest page of images.queue. */
  maxPage: 500,
  /** Most images in one bulk relabel / history revert. */
  maxBulk: 10_000,
  /** Longest path accepted, in UTF-16 code units. */
  maxPath: 4096,
  /** Largest JSON request body the HTTP server reads, in bytes. */
  maxBodyBytes: 1 << 20
} as const

const noNul = (s: string): boolean => !s.includes('\0')
/** A string of at most `max` characters with no NUL byte. */
export function zText(max: number, min = 0): z.ZodType<string, string> {
  return z.string().min(min).max(max).refine(noNul, { message: 'NUL bytes are not allowed' })
}
/** A row id (images.id, label_history.id, runs.id ...): a positive safe integer. */
export const zId = z.number().int().min(1).max(Number.MAX_SAFE_INTEGER)
/** A class index into the project's class list (checked against the real count by the handler). */
export const zClassIdx = z.number().int().min(0).max(LIMITS.maxClasses - 1)
/** A file-system path chosen by the user (absolute or relative to the process cwd). */
export const zPath = zText(LIMITS.maxPath, 1)
/** A probability in [0, 1]. */
export const zProb = z.number().min(0).max(1)
/** An audit flag name as written by the audit engine (`suspect_label`, `oim_disagrees`, ...). */
export const zFlag = z.string().regex(/^[a-z][a-z0-9_]{0,47}$/)
const zEmpty = z.strictObject({})

export const LABEL_STATES = ['labeled', 'unlabeled', 'unknown', 'not_face', 'excluded', 'ambiguous'] as const
export const REVIEW_STATES = ['accepted', 'kept', 'relabeled', 'excluded', 'ambiguous', 'skipped'] as const
export const SPLITS = ['train', 'val', 'test'] as const
export const HISTORY_SOURCES = ['import', 'curator', 'bulk', 'revert'] as const
export type LabelState = (typeof LABEL_STATES)[number]
export type ReviewState = (typeof REVIEW_STATES)[number]
export type Split = (typeof SPLITS)[number]
export type HistorySource = (typeof HISTORY_SOURCES)[number]

/** Any JSON value (engine-defined payloads such as an audit explanation or run metrics). */
export type JsonValue = null | boolean | number | string | JsonValue[] | { [key: string]: JsonValue }

// #endregion
// #region results and errors

/**
 * Why a call failed. The renderer maps codes to UI states:
 * - INVALID_ARGS: the arguments broke the schema or a project-level rule (unknown image, class index
 *   beyond the project's classes); the message names the field and value.
 * - UNKNOWN_METHOD: no such method (HTTP 404 / IPC channel not ours).
 * - NO_PROJECT: the method needs an open project.
 * - NOT_FOUND: an id that does not exist (image, run, job, history entry).
 * - NOT_AVAILABLE: the engine behind the method is not in this build yet, or its data does not exist
 *   yet (e.g. sorting by audit score before any audit ran). Never answered with made-up data.
 * - UNSUPPORTED: not in this mode (e.g. native dialogs or switching projects in browser mode).
 * - BUSY: a job of that kind is already running.
 * - CONFLICT: the UI acted on stale data (accepting a suggestion that has changed).
 * - LOCKED / NOT_A_PROJECT / FUTURE_VERSION / CORRUPT / MIGRATION_FAILED: the project file (ProjectError).
 * - IO_ERROR: the file system refused (missing folder, permission, disk full); the message names the file.
 * - FORBIDDEN: refused by policy (sender, origin, token) — the server/IPC layer, not handlers.
 * - INTERNAL: a bug; the message is generic and the detail is logged in the main process.
 */
export const API_ERROR_CODES = [
  'INVALID_ARGS',
  'UNKNOWN_METHOD',
  'NO_PROJECT',
  'NOT_FOUND',
  'NOT_AVAILABLE',
  'UNSUPPORTED',
  'BUSY',
  'CONFLICT',
  'CANCELLED',
  'LOCKED',
  'NOT_A_PROJECT',
  'FUTURE_VERSION',
  'CORRUPT',
  'MIGRATION_FAILED',
  'FORBIDDEN',
  'IO_ERROR',
  'INTERNAL'
] as const
export type ApiErrorCode = (typeof API_ERROR_CODES)[number]

export type ApiResult<T> = { ok: true; value: T } | { ok: false; code: ApiErrorCode; message: string }

// #endregion
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
  /** unreviewed = no decision yet; reviewed = any decision but skip; skipped = only skips. */
  review: z.enum(['any', 'unreviewed', 'reviewed', 'skipped']).optional(),
  /** Decision is one of these review states. */
  decisions: z.array(z.enum(REVIEW_STATES)).max(REVIEW_STATES.length).optional(),
  /** UEM confidence c_i within [min, max] (needs predictions). */
  confidence: z.strictObject({ min: zProb, max: zProb }).optional(),
  /** Annotation state is one of these. */
  states: z.array(z.enum(LABEL_STATES)).max(LABEL_STATES.length).optional(),
  /** Split is one of these ('none' = no split assigned). */
  splits: z.array(z.enum([...SPLITS, 'none'])).max(4).optional(),
  /** Only images that have an exact duplicate (same bytes) in the project. */
  duplicatesOnly: z.boolean().optional(),
  /** Relative path contains this text (case-insensitive). */
  pathContains: zText(256).optional()
})
export type QueueFilter = z.input<typeof zQueueFilter>

/**
 * Queue order. score = the audit's label-quality score, lower = more suspicious, so 'asc' (the
 * default dir) lists likely label errors first; confidence = UEM confidence; id = import order.
 * Images without a key (not scored, no prediction) come last, in id order.
 * Default: score asc when an audit exists, else id asc.
 */
export const zQueueSort = z.strictObject({
  by: z.enum(['score', 'id', 'confidence']),
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
 * TensorFlow, frozen face-api landmark map + POI heads on wasm, ResNet-18 on a GPU), then the engine's BACKBONES (core/train/config.ts; a test keeps
 * the two lists equal).
 */
export const TRAIN_BACKBONES = ['auto', 'slim', 'resnet18', 'vgg', 'faceapi-landmark', 'faceapi-landmark-14', 'faceapi-expression'] as const
export const DIALOG_PURPOSES = ['project-open', 'project-create', 'import-folder', 'import-file', 'export-dest'] as const

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
  folds: z.number().int().min(0).max(10).refine((k) => k !== 1, { message: 'folds must be 0 or 2..10' }).optional(),
  seed: z.number().int().min(0).max(2 ** 31 - 1).optional(),
  backend: z.enum(TRAIN_BACKENDS).optional(),
  /** Shared extractor; frozen face-api backbones read their own input size (112 or 150 px) from the aligned face. */
  backbone: z.enum(TRAIN_BACKBONES).optional(),
  /** Distillation temperature T (spec eq. 6). */
  temperature: z.number().min(0.1).max(20).optional(),
  /** Corner-crop side k on the shared feature map (spec §2.2). */
  cropK: z.number().int().min(1).max(32).optional(),
  /** λ1 (AU), λ2 (PIN CE), λ3 (TRN CE) of spec eq. 12. */
  lambdas: z.strictObject({ au: z.number().min(0).max(100), pinCe: z.number().min(0).max(100), trnCe: z.number().min(0).max(100) }).optional(),
  /** AU pseudolabel smoothing ε. */
  smoothing: z.number().min(0).max(0.5).optional(),
  /** Share of the train split held out for validation. */
  valFraction: z.number().min(0).max(0.5).optional()
})
export type TrainConfig = z.input<typeof zTrainConfig>

// #endregion
// #region result types

export interface Capabilities {
  /** The import engine is in this build. */
  import: boolean
  audit: boolean
  train: boolean
  export: boolean
  /** Native file dialogs (dialog.open) work; false in browser mode. */
  dialogs: boolean
  /** project.open/create/close work; false in browser mode (the server serves one project). */
  projectSwitch: boolean
}

export interface AppInfo {
  name: string
  version: string
  mode: 'electron' | 'browser' | 'test'
  /** process.platform of the main side. */
  platform: string
  capabilities: Capabilities
  project: ProjectInfo | null
}

export interface ProjectInfo {
  /** Absolute path of the project file. */
  path: string
  name: string
  /** The ordered class list; every label in the API is an index into it. */
  classes: ClassName[]
  schemaVersion: number
  counts: { images: number; labeled: number; reviewed: number; excluded: number; decodeErrors: number }
  datasets: { id: number; root: string; images: number }[]
  /** Newest finished training run, if any. */
  latestRunId: number | null
  /** Newest finished audit, if any. */
  latestAuditId: number | null
}

export interface RecentProject {
  path: string
  name: string
  /** ISO-8601 UTC. */
  openedAt: string
  /** Whether the file still exists. */
  exists: boolean
}

/** One row of the review queue. */
export interface QueueItem {
  imageId: number
  relPath: string
  split: Split | null
  state: LabelState
  /** Current (given) label index, null when unlabeled. */
  given: number | null
  original: number | null
  review: ReviewState | null
  /** From the current audit; null without one. */
  suggested: number | null
  /** How strongly the evidence favours the suggestion over the given label, [0, 1]; null without one. */
  strength: number | null
  score: number | null
  rank: number | null
  flags: string[]
  /** UEM confidence c_i in [0, 1] from the current run; null without predictions. */
  confidence: number | null
}

export interface QueuePage {
  items: QueueItem[]
  /** Pass back as `cursor` for the next page; null at the end. Opaque. */
  nextCursor: string | null
  /** Number of matching images (when `withTotal`, the default on the first page), else null. */
  total: number | null
  auditId: number | null
  runId: number | null
}

export interface ImageCounts {
  total: number
  /** Per given class index. */
  given: number[]
  review: Record<ReviewState | 'unreviewed', number>
  splits: Record<Split | 'none', number>
  /** Per flag name; null without an audit. */
  flags: Record<string, number> | null
  /** Review progress over the whole project (not the filter). */
  progress: ReviewProgress
  /** UEM confidence over the current run (not the filter); null without predictions. */
  confidence: ConfidenceSpread | null
}

export interface ConfidenceSpread {
  /** Predictions with a UEM confidence. */
  n: number
  /** Values at the 0th, 5th, …, 100th percentile (21 values, ascending). */
  quantiles: number[]
}

export interface ReviewProgress {
  /** Images flagged likely_mislabeled by the current audit, and how many of them have a review; null without an audit. */
  flagged: number | null
  flaggedReviewed: number | null
  /** Images with any review decision. */
  reviewed: number
  /** Curator decisions (history batches) since the server's local midnight. */
  decisionsToday: number
  /** Decisions per hour over today's span of work; null before a quarter of an hour of it. */
  perHour: number | null
}

export interface AnnotationView {
  imageId: number
  originalLabel: number | null
  currentLabel: number | null
  state: LabelState
  originalState: LabelState
  /** Per class vote counts or probabilities from the source (FERPlus), else null. */
  votes: number[] | null
  /** Curator soft label (state 'ambiguous'), per class, sums to 1. */
  softLabel: number[] | null
  review: ReviewState | null
  updatedAt: string
}

export interface ImageInfo {
  id: number
  datasetId: number
  /** '/'-separated, relative to the dataset root. */
  relPath: string
  format: string | null
  /** Pixels. */
  width: number | null
  height: number | null
  channels: number | null
  byteSize: number
  sha256: string
  split: Split | null
  sourceSplit: string | null
  decodeStatus: 'ok' | 'error'
  decodeError: string | null
  dupGroup: number | null
  /** Other images with the same bytes, with their labels (conflicting labels are worth a look). */
  duplicates: { imageId: number; currentLabel: number | null; state: LabelState }[]
}

export type RegionName = 'UL' | 'UR' | 'LL' | 'LR'

/** One of the four facial subregions of the POI network (spec §2.2, §5). */
export interface RegionView {
  region: RegionName
  /** UL/UR feed the eye branch P1, LL/LR the mouth branch P2. */
  branch: 'eye' | 'mouth'
  /** Gate weight g_ij (sums to 1 over the four regions). */
  gate: number | null
  /** p_ij: per class probabilities of this region at T = 1. */
  probs: number[] | null
  /** AU occurrence probability ρ and importance w of each AU of the branch. */
  aus: { au: number; name: string; p: number; importance: number | null }[]
}

/** The POI outputs of one image from one run (spec §5). */
export interface PredictionView {
  runId: number
  /** Held-out fold for k-fold scores; null = in-training. */
  fold: number | null
  /** p̂_i = softmax(s_i), per class. */
  trnProbs: number[]
  /** q_i at the training temperature T, per class. */
  oimSoft: number[] | null
  /** q_i at T = 1, per class (sharper; used for display). */
  oimSoftT1: number[] | null
  uemUncertainty: number | null
  /** c_i in [0, 1]; 1 = all four regions agree. */
  uemConfidence: number | null
  regions: RegionView[] | null
  /** Per class: mean ρ over that class's Table-I AUs (neutral: 1 − mean of all ρ). */
  priorSupport: number[] | null
}

export interface AuditView {
  auditId: number
  runId: number | null
  /** Label-quality score in [0, 1]: LOWER = more likely a label error; null = not scored. */
  score: number | null
  /** 1 = lowest score (most suspicious); null = not scored. */
  rank: number | null
  suggestedLabel: number | null
  /** How strongly the evidence supports the suggestion, in [0, 1]. */
  strength: number | null
  flags: string[]
  /** The audit engine's explanation (text and evidence); engine-defined JSON. */
  explanation: JsonValue
  /**
   * The distribution the suggestion is the argmax of, per class: POI m = α·(OIM soft label, T = 1) +
   * (1 − α)·(TRN probabilities), α = softWeight; CL: the TRN probabilities. Null in older audits.
   */
  evidence: number[] | null
  /** α of the mix above (POI); null for the CL baseline. */
  softWeight: number | null
  /** The label the audit judged (the current label when it ran); decisions since make it stale. */
  auditedLabel: number | null
  /** Why the `ambiguous` flag is set, in words with the numbers and cut-offs; null when not set. */
  ambiguousWhy: string | null
  /**
   * Where likely_mislabeled cuts the ranking: that many lowest-scored images with a suggestion carry
   * the flag; rank/score of the last one. Null for the CL baseline and older audits.
   */
  mislabeledCut: { count: number; rank: number | null; score: number | null } | null
  /** Images the ranking orders (for "rank 12 of 4,000"). */
  ranked: number
}

export interface FaceView {
  /** Detection outcome: aligned | already-aligned | no-face | several-faces | low-score. */
  status: string
  /** Faces the detector found. */
  facesFound: number
  /** Face box in source-image pixels: x, y, width, height; null without a face. */
  box: [number, number, number, number] | null
  detectorScore: number | null
  /** 68 landmarks (iBUG-300W order) in source-image pixels. */
  landmarks: [number, number][] | null
}

export interface HistoryEntryView {
  id: number
  imageId: number
  at: string
  actor: string
  source: HistorySource
  oldLabel: number | null
  newLabel: number | null
  oldState: LabelState | null
  newState: LabelState
  oldReview: ReviewState | null
  newReview: ReviewState | null
  reason: string | null
  /** One user action; the unit of undo. */
  batchId: string
  revertsBatch: string | null
}

export interface ImageDetail {
  classes: ClassName[]
  image: ImageInfo
  annotation: AnnotationView
  /** From the current run (the audit's run, else the newest finished run); null without one. */
  prediction: PredictionView | null
  audit: AuditView | null
  face: FaceView | null
  /** Newest first, at most 50. */
  history: HistoryEntryView[]
}

export interface DecideResult {
  /** The history batch (undo unit); null when the decision changed nothing. */
  batchId: string | null
  annotation: AnnotationView
  /** The next image of the queue given in `next` (after this one in its order); null at the end. */
  nextImageId: number | null
}

export interface UndoResult {
  /** The revert batch written by this undo/redo. */
  batchId: string
  /** The batch that was undone (undo) or re-applied (redo). */
  target: string
  imageIds: number[]
}

export interface BatchResult {
  batchId: string | null
  changed: number
}

export interface BulkDecideResult extends BatchResult {
  /** Images given a decision (changed or not: a keep that changes nothing still counts). */
  decided: number
  /** Images left alone: no suggestion, or a suggestion weaker than minStrength (accept only). */
  skipped: number
}

/**
 * The audit settings a curator adjusts in the app (Overview → Flag thresholds). The CLI's
 * `poi-audit audit --threshold path=value` reaches every AuditConfig field; these five are the ones that
 * decide how many images get flagged.
 */
export interface AuditSettings {
  /** Multiplies every per-class likely_mislabeled threshold t_j (1 = confident learning's mean self-confidence). */
  thresholdScale: number
  /** likely_mislabeled: the suggestion must beat the given label by at least this much in the combined score m. */
  minMargin: number
  /** ambiguous: UEM confidence below this percentile of the scored images. */
  confidencePercentile: number
  /** ambiguous: soft-label entropy / ln C at or above this is a flat soft label. */
  flatEntropy: number
  /** region_conflict: flagged when the eye/mouth conflict strength is at least this. */
  regionMinStrength: number
}

/** What decided the flags of the current audit: its settings and the per-class thresholds they gave. */
export interface AuditThresholdsView {
  auditId: number
  /** The run the audit scored (re-running with other settings audits the same run). */
  runId: number | null
  method: 'poi' | 'cl'
  settings: AuditSettings
  /** Per class index: the likely_mislabeled threshold t_j on m (POI) or p̂ (CL); null = the class was never confident. */
  perClass: (number | null)[]
  /** The UEM confidence below which an image counts as ambiguous (the percentile's value); null without UEM. */
  ambiguousConfidenceCut: number | null
}

/** Allowed [min, max] of each setting (the AuditConfig ranges); the API checks them and the app's form shows them. */
export const AUDIT_SETTING_RANGES = {
  thresholdScale: [0.05, 5],
  minMargin: [-1, 1],
  confidencePercentile: [0, 1],
  flatEntropy: [0, 1],
  regionMinStrength: [0, 1]
} as const satisfies Record<keyof AuditSettings, readonly [number, number]>

const zSetting = (k: keyof AuditSettings) => z.number().min(AUDIT_SETTING_RANGES[k][0]).max(AUDIT_SETTING_RANGES[k][1]).optional()
export const zAuditSettings = z.strictObject({
  thresholdScale: zSetting('thresholdScale'),
  minMargin: zSetting('minMargin'),
  confidencePercentile: zSetting('confidencePercentile'),
  flatEntropy: zSetting('flatEntropy'),
  regionMinStrength: zSetting('regionMinStrength')
})

export interface OverviewStats {
  classes: ClassName[]
  total: number
  labelStates: Record<LabelState, number>
  reviews: Record<ReviewState | 'unreviewed', number>
  classCounts: { original: number[]; current: number[]; suggested: number[] | null }
  /**
   * matrix[given][suggested] image counts. source 'audit' = the audit's suggestion; 'prediction' =
   * argmax of the TRN probabilities when no audit exists. Cell → images: images.queue with
   * `filter.pair` (audit) or `filter.given` (prediction).
   */
  confusion: { source: 'audit' | 'prediction'; auditId: number | null; runId: number | null; matrix: number[][] } | null
  /** UEM confidence histogram: `edges` has bins+1 values over [0, 1]; byClass[given][bin]. */
  confidence: { runId: number; edges: number[]; counts: number[]; byClass: number[][] } | null
  /** Mean AU occurrence probability per given class (left and mirrored-right regions averaged): mean[class][au]. */
  auHeatmap: { runId: number; aus: number[]; names: string[]; mean: number[][]; imagesPerClass: number[] } | null
  /** Flag counts per given class: perClass[flag][class]. */
  flags: { auditId: number; names: string[]; perClass: number[][]; totals: number[] } | null
  /** The current audit's settings and thresholds; null without an audit. */
  thresholds: AuditThresholdsView | null
}

export interface RunSummary {
  id: number
  kind: string
  name: string | null
  status: 'running' | 'done' | 'failed' | 'cancelled'
  startedAt: string
  finishedAt: string | null
  backend: string | null
  /** The run's shared extractor and square input side in px (from its recorded config; null for runs that recorded none). */
  backbone: string | null
  inputSize: number | null
  metrics: JsonValue
  error: string | null
  /** Number of images with predictions from this run. */
  predictions: number
}

export type JobKind = 'import' | 'audit' | 'train' | 'export'
export type JobState = 'running' | 'done' | 'failed' | 'cancelled'

export interface JobInfo {
  id: string
  kind: JobKind
  state: JobState
  /** Engine-defined step name ('scanning', 'decoding', 'epoch', 'writing' ...). */
  phase: string
  done: number
  total: number | null
  message: string | null
  startedAt: string
  finishedAt: string | null
  error: { code: ApiErrorCode; message: string } | null
}

export interface TrainProgress {
  runId: number | null
  /** -1 = the single model; 0..k-1 in k-fold. */
  fold: number
  /** 1-based. */
  epoch: number
  epochs: number
  step: number
  steps: number
  /** Loss terms of spec eq. 12 (absent terms were not used by the model). */
  loss: { total: number; trnCe?: number; or?: number; au?: number; pinCe?: number; kl?: number }
  trainAcc: number | null
  valAcc: number | null
  imagesPerSec: number | null
  etaSec: number | null
  /** tfjs backend actually used, and why it was chosen (or why faster ones were not). */
  backend: string
  backendReason: string
  at: string
}

export type TrainState = 'idle' | 'starting' | 'running' | 'cancelling' | 'completed' | 'cancelled' | 'failed' | 'crashed'

export interface TrainStatus {
  /** Training engine present in this build. */
  available: boolean
  state: TrainState
  runId: number | null
  jobId: string | null
  progress: TrainProgress | null
  error: string | null
  /** For 'crashed': the worker's exit code. */
  exitCode: number | null
}

export interface ImportSummary {
  id: number
  datasetId: number
  datasetRoot: string
  format: string
  source: string
  startedAt: string
  finishedAt: string
  /** The import engine's report (counts, quarantined files, warnings). */
  report: JsonValue
}

// #endregion
// #region events

/** Everything main pushes to the renderer, on one channel (IPC `poi:event` / SSE `/api/events`). */
export type ApiEvent =
  | { type: 'job.progress'; job: JobInfo }
  | { type: 'job.finished'; job: JobInfo; result: JsonValue }
  | { type: 'train.progress'; progress: TrainProgress }
  | { type: 'train.state'; status: TrainStatus }
  | {
      type: 'project.changed'
      what: 'opened' | 'closed' | 'labels' | 'images' | 'runs' | 'audit'
      /** Affected images when at most 1000, else omitted (= many). */
      imageIds?: number[]
    }

// #endregion
// #region the method map

/** A method: its argument schema and (type only) its result. */
export interface MethodSpec<S extends z.ZodType, R> {
  args: S
  /** Phantom: carries the result type; always undefined at run time. */
  readonly result?: R
}
function method<R>(): <S extends z.ZodType>(args: S) => MethodSpec<S, R> {
  return (args) => ({ args })
}

const zHistoryQuery = z.strictObject({
  imageId: zId.optional(),
  actor: zText(128).optional(),
  source: z.enum(HISTORY_SOURCES).optional(),
  batchId: zText(64).optional(),
  /** Entries with id below this (paging back from the newest). */
  beforeId: zId.optional(),
  limit: z.number().int().min(1).max(500).optional()
})

export const CONTRACT = {
  /** Version, mode, capabilities and the open project (if any). */
  'app.info': method<AppInfo>()(zEmpty),
  /** Native open/save dialog (Electron only). path null = cancelled. */
  'dialog.open': method<{ path: string | null }>()(z.strictObject({ purpose: z.enum(DIALOG_PURPOSES) })),

  'project.open': method<ProjectInfo>()(z.strictObject({ path: zPath })),
  /** Creates an empty project file (fails if it exists). */
  'project.create': method<ProjectInfo>()(
    z.strictObject({
      path: zPath,
      name: zText(200, 1).optional(),
      /** Side of the model input the pixel cache is built for, pixels (default 48). */
      inputSize: z.number().int().min(16).max(512).optional(),
      /** 1 = gray (default), 3 = RGB. */
      channels: z.union([z.literal(1), z.literal(3)]).optional()
    })
  ),
  'project.close': method<{ closed: boolean }>()(zEmpty),
  'project.recent': method<RecentProject[]>()(zEmpty),
  'project.info': method<ProjectInfo>()(zEmpty),

  /** Starts an import job; progress arrives as job.* events. */
  'import.start': method<{ jobId: string }>()(
    z.strictObject({
      source: zPath,
      format: z.enum(IMPORT_FORMATS),
      /** Reserved (the importers find their label file from `source`); setting it answers NOT_AVAILABLE. */
      labelsFile: zPath.optional(),
      /** Folder the annotation file's image paths are relative to. */
      root: zPath.optional(),
      /** Split for every image (overrides the source's); 'none' = no split. */
      split: z.enum([...SPLITS, 'none']).optional(),
      /** Detect and align faces on import. */
      align: z.boolean().optional()
    })
  ),
  /** Reports of past imports, newest first (one when importId is given). */
  'import.report': method<ImportSummary[]>()(z.strictObject({ importId: zId.optional() })),

  /** One page of the review queue (keyset-paged: pass nextCursor back). */
  'images.queue': method<QueuePage>()(
    z.strictObject({
      filter: zQueueFilter.optional(),
      sort: zQueueSort.optional(),
      cursor: zText(512).optional(),
      limit: z.number().int().min(1).max(LIMITS.maxPage).optional(),
      withTotal: z.boolean().optional()
    })
  ),
  /** Facet counts for a filter (sidebar). */
  'images.counts': method<ImageCounts>()(z.strictObject({ filter: zQueueFilter.optional() })),
  'images.detail': method<ImageDetail>()(z.strictObject({ imageId: zId })),

  /** Records a decision durably (history row) and returns the next image of `next`'s queue. */
  'review.decide': method<DecideResult>()(
    z.strictObject({
      imageId: zId,
      decision: zDecision,
      reason: zText(500).optional(),
      next: z.strictObject({ filter: zQueueFilter.optional(), sort: zQueueSort.optional() }).optional()
    })
  ),
  /** Undoes this curator's latest action; null when there is nothing to undo. */
  'review.undo': method<UndoResult | null>()(zEmpty),
  'review.redo': method<UndoResult | null>()(zEmpty),
  /** Depth of the undo and redo stacks. */
  'review.undoState': method<{ undo: number; redo: number }>()(zEmpty),
  /** Relabels many images as one undoable action. */
  'review.bulkRelabel': method<BatchResult>()(
    z.strictObject({
      imageIds: z.array(zId).min(1).max(LIMITS.maxBulk),
      label: zClassIdx,
      reason: zText(500).optional()
    })
  ),

  /**
   * One decision for many images as one undoable action (the bulk bar). accept: each image's audit
   * suggestion, only where its strength ≥ minStrength (others are left alone and counted as skipped);
   * relabel to the label an image already has is recorded as "kept".
   */
  'review.bulkDecide': method<BulkDecideResult>()(
    z.strictObject({
      imageIds: z.array(zId).min(1).max(LIMITS.maxBulk),
      kind: z.enum(['accept', 'keep', 'exclude', 'ambiguous', 'relabel']),
      label: zClassIdx.optional(),
      minStrength: z.number().min(0).max(1).optional(),
      reason: zText(500).optional()
    })
  ),

  /** History newest first; page with nextBeforeId. */
  'history.list': method<{ entries: HistoryEntryView[]; nextBeforeId: number | null }>()(zHistoryQuery),
  /** Reverts chosen entries as one new (undoable) action. */
  'history.revert': method<BatchResult>()(z.strictObject({ entryIds: z.array(zId).min(1).max(LIMITS.maxBulk) })),

  'overview.stats': method<OverviewStats>()(zEmpty),
  'runs.list': method<RunSummary[]>()(zEmpty),

  /**
   * Starts training in the background (one run at a time; BUSY otherwise). Progress and the terminal
   * state arrive as train.progress / train.state events and train.status; `jobId` is '' when the
   * training host does not assign job ids (the engine's host does not).
   */
  'train.start': method<{ jobId: string }>()(z.strictObject({ config: zTrainConfig })),
  'train.cancel': method<{ cancelled: boolean }>()(zEmpty),
  'train.resume': method<{ jobId: string }>()(z.strictObject({ runId: zId })),
  'train.status': method<TrainStatus>()(zEmpty),

  /**
   * Scores and ranks every image from a run's predictions (default: the newest finished run). Settings
   * not given take their defaults, not the previous audit's.
   */
  'audit.run': method<{ jobId: string }>()(z.strictObject({ runId: zId.optional(), settings: zAuditSettings.optional() })),

  /** Writes an export atomically; `path` is where it will be (dest, or a default beside the project). */
  'export.start': method<{ jobId: string; path: string }>()(
    z.strictObject({
      format: z.enum(EXPORT_FORMATS),
      scope: zExportScope,
      dest: zPath.optional(),
      options: z
        .strictObject({
          /** Prefix formula-trigger cells in free-text columns with '. */
          spreadsheetSafe: z.boolean().optional(),
          /** UTF-8 BOM for Excel. */
          bom: z.boolean().optional(),
          /** One folder/file per split (folders, csv). */
          bySplit: z.boolean().optional(),
          /** Replace an existing destination (default: refuse with INVALID_ARGS). */
          overwrite: z.boolean().optional(),
          /**
           * Reserved: each format decides (FERPlus leaves excluded images out, the others keep them
           * with state 'excluded'); setting it answers NOT_AVAILABLE.
           */
          includeExcluded: z.boolean().optional()
        })
        .optional()
    })
  ),

  'jobs.list': method<JobInfo[]>()(zEmpty),
  'jobs.cancel': method<{ cancelled: boolean }>()(z.strictObject({ jobId: zText(64, 1) }))
} satisfies { [M in MethodName]: MethodSpec<z.ZodType, unknown> }

export type Contract = typeof CONTRACT
/** Arguments as the caller writes them (defaults may be omitted). */
export type ArgsOf<M extends MethodName> = z.input<Contract[M]['args']>
/** Arguments after validation, as handlers see them. */
export type ParsedArgsOf<M extends MethodName> = z.output<Contract[M]['args']>
export type ResultOf<M extends MethodName> = Contract[M] extends MethodSpec<z.ZodType, infer R> ? R : never

// #endregion
