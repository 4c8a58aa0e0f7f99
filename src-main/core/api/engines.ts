/**
 * The engines behind the long-running methods, as interfaces the API calls. Each lands with its own
 * helper (import, audit, export, training); until one is wired in, its methods answer NOT_AVAILABLE
 * instead of pretending. `app.info.capabilities` tells the renderer which are present.
 */
import type { Project } from '../project'
import type {
  AuditSettings,
  ExportScope,
  JsonValue,
  QueueFilter,
  TrainConfig,
  TrainProgress,
  TrainStatus
} from './contract'
import type { JobContext } from './jobs'
import type { DoctorReport } from '../compute/doctor-report'

export interface ImportRequest {
  /** Absolute: a folder, or an annotation file (CSV, FERPlus, RAF-DB, AffectNet); for 'demo' ignored. */
  source: string
  format: 'auto' | 'folder' | 'csv' | 'ferplus' | 'rafdb' | 'affectnet' | 'demo'
  labelsFile?: string
  root?: string
  split?: 'train' | 'val' | 'test' | 'none'
  align?: boolean
}

/** Imports images and labels into the open project; returns the import report. */
export interface ImportEngine {
  run(project: Project, req: ImportRequest, ctx: JobContext): Promise<JsonValue>
}

/** Scores and ranks images from a run's predictions into `audits`/`audit_items`; returns the summary. */
export interface AuditEngine {
  run(project: Project, req: { runId?: number; settings?: Partial<AuditSettings> }, ctx: JobContext): Promise<JsonValue>
}

export interface ExportRequest {
  format: 'csv' | 'jsonl' | 'ferplus' | 'folders' | 'labelstudio' | 'cleanlab'
  scope: ExportScope
  /** Absolute destination path (file or folder, by format). */
  dest: string
  options: {
    spreadsheetSafe?: boolean
    bom?: boolean
    bySplit?: boolean
    overwrite?: boolean
    includeExcluded?: boolean
  }
  /** Create the destination's parent folder (true for the default destination). */
  createParent?: boolean
  /** For scope 'filter': the matching image ids, resolved by the API's queue query. */
  filterIds?: number[]
}

/** Writes an export atomically; returns its manifest/summary. */
export interface ExportEngine {
  /** Where an export goes when the caller gives no destination (beside the project file). */
  defaultDest(project: Project, format: ExportRequest['format']): string
  run(project: Project, req: ExportRequest, ctx: JobContext): Promise<JsonValue>
}

/** Events a training host reports. */
export type TrainHostEvent = { type: 'progress'; progress: TrainProgress } | { type: 'state'; status: TrainStatus }

export interface TrainStartRequest {
  /** Absolute path of the project file; the trainer opens it read-only (one writer: main). */
  projectPath: string
  config: TrainConfig
  /** Continue this run from its latest checkpoint. */
  resumeRunId?: number
  /** Start a new run from this run's configuration (run/run.ts fromRunJob); `config` overrides it. */
  fromRunId?: number
  /** The curator whose call starts it (TrainStatus.startedBy). */
  startedBy?: string
}

/**
 * Runs training out of the main thread (an Electron utilityProcess, or a child process in `serve`),
 * so the UI stays responsive and a native crash loses one run, not the app. One run at a time.
 * The host reports `TrainStatus` transitions and throttled `TrainProgress`; it always reaches a
 * terminal state: completed | cancelled | failed | crashed.
 */
export interface TrainingHost {
  start(req: TrainStartRequest): void
  /** Cooperative cancel, then a hard kill after the host's grace period. */
  cancel(): boolean
  status(): TrainStatus
  subscribe(listener: (e: TrainHostEvent) => void): () => void
  dispose(): Promise<void>
}

/** Native dialogs (Electron); absent in browser mode. */
export interface DialogHost {
  open(
    purpose: 'project-open' | 'project-create' | 'import-folder' | 'import-file' | 'export-dest'
  ): Promise<string | null>
}

/**
 * The compute engines of this machine, as `poi-audit doctor --json` reports them. Loading an engine is
 * the only reliable test and it fixes the process's TensorFlow backend, so it runs in its own process.
 */
export interface DoctorEngine {
  report(): Promise<DoctorReport>
}

export interface Engines {
  doctor?: DoctorEngine
  import?: ImportEngine
  audit?: AuditEngine
  export?: ExportEngine
  training?: TrainingHost
}

export type { QueueFilter }
