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
import type { MethodName } from './methods'
import type { DoctorReport } from '../compute/doctor-report'
import type { RunComparisonView } from '../evaluate/compare-types'
import { HISTORY_SOURCES, LIMITS, SPLITS, zClassIdx, zEmpty, zId, zPath, zText } from './contract-base'
import {
  DIALOG_PURPOSES,
  EXPORT_FORMATS,
  zActor,
  zAssignmentFilter,
  IMPORT_FORMATS,
  zDecision,
  zExportScope,
  zQueueFilter,
  zQueueSort,
  zTrainConfig
} from './contract-args'
import {
  type AppInfo,
  type AssignmentView,
  type BatchResult,
  type BulkDecideResult,
  type DecideResult,
  type HistoryEntryView,
  type ImageCounts,
  type ImageDetail,
  type LearningQueueState,
  type ProjectInfo,
  type QueuePage,
  type RecentProject,
  type UndoResult
} from './contract-views'
import {
  type ImportSummary,
  type JobInfo,
  type OverviewStats,
  type RunDetail,
  type RunSummary,
  type TrainStatus,
  zAuditSettings
} from './contract-runs'
import { type ConsensusView, zConsensusArgs } from './contract-consensus'

export * from './contract-base'
export * from './contract-consensus'
export * from './contract-args'
export * from './contract-views'
export * from './contract-runs'
export type { DoctorReport, RunComparisonView }

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
  /** Leave out entries of this source (the History page opens on decisions: every source but import). */
  excludeSource: z.enum(HISTORY_SOURCES).optional(),
  batchId: zText(64).optional(),
  /** Entries with id below this (paging back from the newest). */
  beforeId: zId.optional(),
  limit: z.number().int().min(1).max(500).optional()
})

export const CONTRACT = {
  /** Version, mode, capabilities and the open project (if any). */
  'app.info': method<AppInfo>()(zEmpty),
  /**
   * What `poi-audit doctor --json` prints: the compute engines found, which one trains and why,
   * TensorFlow version, threads, GPU, memory, advice. Measured once per server/window (seconds: it loads
   * the engine in a separate process); `refresh` measures again.
   */
  'app.doctor': method<DoctorReport>()(z.strictObject({ refresh: z.boolean().optional() })),
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

  /** Every curator's assignment (review split between curators), by name. */
  'assignments.list': method<AssignmentView[]>()(zEmpty),
  /** Gives a curator the images of a queue filter, replacing the assignment they had. */
  'assignments.set': method<AssignmentView>()(z.strictObject({ actor: zActor, filter: zAssignmentFilter })),
  /** Removes a curator's assignment; removed = false when they had none. */
  'assignments.remove': method<{ removed: boolean }>()(z.strictObject({ actor: zActor })),

  /** The learning review queue: settings, decisions since the last re-rank, the last re-rank. */
  'queue.learning': method<LearningQueueState>()(zEmpty),
  /**
   * Turns the learning queue on/off, sets how many decisions trigger a re-rank and what it fits ('signals' or
   * 'head'; per project).
   */
  'queue.setLearning': method<LearningQueueState>()(
    z.strictObject({
      enabled: z.boolean().optional(),
      every: z.number().int().min(1).max(100_000).optional(),
      method: z.enum(['signals', 'head']).optional()
    })
  ),
  /**
   * Re-ranks the not-yet-reviewed queue now, in the background (NOT_AVAILABLE without an audit). `wait`
   * answers once the new order is stored; otherwise at once, with running = true.
   */
  'queue.rerank': method<LearningQueueState>()(z.strictObject({ wait: z.boolean().optional() })),

  /** History newest first; page with nextBeforeId. */
  'history.list': method<{ entries: HistoryEntryView[]; nextBeforeId: number | null }>()(zHistoryQuery),
  /** Reverts chosen entries as one new (undoable) action. */
  'history.revert': method<BatchResult>()(z.strictObject({ entryIds: z.array(zId).min(1).max(LIMITS.maxBulk) })),

  'overview.stats': method<OverviewStats>()(zEmpty),
  /**
   * Consensus of the annotators' votes (table annotator_votes), the curators' decisions and the given
   * label, optionally with a run's model: per-annotator quality and, for `imageIds`, each image's
   * consensus. `{available: false, reason}` when the project has no annotator votes. A fit over 35k
   * images takes seconds, so it runs in a worker and is kept in memory; see contract-consensus.ts for
   * `refresh` and `wait`.
   */
  'consensus.get': method<ConsensusView>()(zConsensusArgs),
  'runs.list': method<RunSummary[]>()(zEmpty),
  /** Curves, validation accuracy and per-class precision/recall of one run (see RunDetail). */
  'runs.detail': method<RunDetail>()(z.strictObject({ runId: zId })),
  /**
   * Before (a) / after (b) of two finished runs: accuracy and per-class precision/recall against the
   * current labels, flags resolved and new, changed suggestions, estimated remaining noise per class
   * (core/evaluate/compare-runs.ts says what each figure means).
   */
  'runs.compare': method<RunComparisonView>()(z.strictObject({ a: zId, b: zId })),

  /**
   * Starts training in the background (one run at a time; BUSY otherwise). Progress and the terminal
   * state arrive as train.progress / train.state events and train.status; `jobId` is '' when the
   * training host does not assign job ids (the engine's host does not).
   */
  'train.start': method<{ jobId: string }>()(
    z.strictObject({
      config: zTrainConfig,
      /**
       * "Retrain with my corrections": start from this finished run's training configuration (fields of
       * `config` override it) on the current labels; the new run records it as its parent.
       */
      fromRun: zId.optional()
    })
  ),
  'train.cancel': method<{ cancelled: boolean }>()(zEmpty),
  'train.resume': method<{ jobId: string }>()(z.strictObject({ runId: zId })),
  'train.status': method<TrainStatus>()(zEmpty),

  /**
   * Scores and ranks every image from a run's predictions (default: the newest finished run). Settings
   * not given take their defaults, not the previous audit's.
   */
  'audit.run': method<{ jobId: string }>()(
    z.strictObject({ runId: zId.optional(), settings: zAuditSettings.optional() })
  ),

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

  /**
   * Where `export.start` with this `dest` would write, before anything is written: a relative path is
   * resolved against the project file's folder; no dest = the default beside the project (whose folder
   * is created). `folderMissing`: an explicit dest's folder does not exist (the export would fail).
   */
  'export.plan': method<{ path: string; exists: boolean; folderMissing: boolean; isDefault: boolean }>()(
    z.strictObject({ format: z.enum(EXPORT_FORMATS), dest: zPath.optional() })
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
