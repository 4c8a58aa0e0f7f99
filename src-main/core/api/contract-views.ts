/**
 * Part of THE app API contract (contract.ts re-exports it; import from there): result types of the project, queue and
 * image-detail methods.
 * Imported by the renderer too, so it imports nothing from Node.
 */
import type { ClassName } from '../classes'
import { type HistorySource, type JsonValue, type LabelState, type ReviewState, type Split } from './contract-base'
import type { AssignmentFilter } from './contract-args'
import type { ImageConsensusDetail } from './contract-consensus'

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
  /** Who this session's decisions are recorded as (label_history.actor; assignments.set names curators so). */
  actor: string
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
  /** Why the page is empty when the filter cannot match by design (filter.assigned without an assignment). */
  emptyReason?: string
}

/** One curator's assignment (assignments.list). */
export interface AssignmentView {
  id: number
  /** The curator (label_history.actor). */
  actor: string
  /** The queue filter of their images. */
  filter: AssignmentFilter
  /** ISO-8601 UTC. */
  createdAt: string
  createdBy: string
  /** Images the filter matches now; null when the filter cannot be evaluated (it needs an audit, ...). */
  images: number | null
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
  /**
   * The middle 90 % of the values (5th to 95th percentile) lie within 0.05 of each other (UEM
   * confidence of a well-fitted run: nearly all near 1): a value scale cannot separate them, so the
   * filter works on rank and the Overview histogram on a logit scale.
   */
  saturated: boolean
}

export interface ReviewProgress {
  /**
   * Images flagged likely_mislabeled by the current audit, and how many of them have a review; null without an audit.
   */
  flagged: number | null
  flaggedReviewed: number | null
  /** Images with any review decision. */
  reviewed: number
  /** Curator decisions (history batches) since the server's local midnight. */
  decisionsToday: number
  /** Decisions per hour over today's span of work; null before a quarter of an hour of it. */
  perHour: number | null
  /** Images waiting for adjudication (curators disagree; filter.review 'adjudicate'). */
  adjudicate: number
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

export type { RegionName } from '../model/prediction-layout'
import type { RegionName } from '../model/prediction-layout'

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
  /**
   * For an undo / revert entry: what the reverted action was (its first entry and its size), so the
   * row can say in words what it undid. null for other entries.
   */
  undoes: {
    source: HistorySource
    images: number
    imageId: number
    oldLabel: number | null
    newLabel: number | null
    newState: LabelState
    newReview: ReviewState | null
  } | null
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
  /** The image's consensus when it has annotator votes (see consensus.get), else null or absent. */
  consensus?: ImageConsensusDetail | null
  /**
   * Stored columns of this image that are no longer valid JSON ('audit.explanation', 'face.box', …); shown as empty.
   */
  damaged?: string[]
}

export interface DecideResult {
  /** The history batch (undo unit); null when the decision changed nothing. */
  batchId: string | null
  annotation: AnnotationView
  /** The next image of the queue given in `next` (after this one in its order); null at the end. */
  nextImageId: number | null
  /**
   * The image's queue fields from the current audit after the decision (it is re-judged against its new
   * label), so a client updates its row without a detail request per decision; null without an audit row.
   */
  audit: AuditRowFields | null
}

/** The audit's fields of one queue row (see QueueItem). */
export type AuditRowFields = Pick<QueueItem, 'suggested' | 'strength' | 'score' | 'rank' | 'flags'>

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

// #endregion

/** The last re-rank of the learning queue, as stored. Times in ms. */
export interface RerankRecordView {
  auditId: number
  /** ISO-8601 UTC. */
  at: string
  /** Not-yet-reviewed images the re-rank placed. */
  images: number
  /** Decisions read (skips excluded). */
  decisions: number
  /** Decisions that gave a hard target: label wrong / label right (ambiguous and excluded give none). */
  used: { wrong: number; right: number }
  /** What was fitted: 'signals' = P(label wrong) from the audit's signals, 'head' = the per-class head. */
  method: 'signals' | 'head'
  /** learned = the re-ranked order is in use; static = the guard kept the audit's order (see reason). */
  order: 'learned' | 'static'
  reason: string
  /** Fit + re-rank in the worker. */
  fitMs: number
  /** Reading the audit and decisions in the worker. */
  readMs: number
  /** The worker thread's nice value (19: it yields the CPU to review; null: not known or not lowered). */
  workerNice: number | null
  /** Storing the order: time in write transactions on the writer's connection (the only part review can wait for). */
  storeMs: number
  /** The longest of those transactions: the most one review call can have waited. */
  storeMaxMs: number
  /** Read + fit + re-rank + store, end to end. */
  totalMs: number
}

/** The learning review queue of the open project (queue.learning). */
export interface LearningQueueState {
  /** On: re-ranks every `every` decisions and the Review default order is the learned one. Per project. */
  enabled: boolean
  every: number
  /** What a re-rank fits: 'signals' (default) or 'head' (the per-class head, from the true labels). */
  method: 'signals' | 'head'
  /** Curator decisions since the last re-rank (skips not counted). */
  decisionsSince: number
  /** A re-rank is running in the background. */
  running: boolean
  /** The Review default order is the learned one now (on, and the current audit has been re-ranked). */
  active: boolean
  last: RerankRecordView | null
  /** Why the last background re-rank failed; null when it did not. */
  error: string | null
}
