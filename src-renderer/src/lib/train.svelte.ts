/**
 * Train page: the configuration form, the training engine's status and live progress (curves, ETA),
 * cancel and resume, and past runs. When the engine is not in this build the page says so and offers
 * nothing that would pretend to train.
 */
import type { AppState } from './app.svelte'
import type {
  ApiEvent,
  AuditSettings,
  DoctorReport,
  JobInfo,
  RunComparisonView,
  RunDetail,
  RunSummary,
  TrainConfig,
  TrainProgress,
  TrainStatus
} from './api'
import { TRAIN_BACKENDS, TRAIN_BACKBONES, INPUT_SIZES } from './api'
import { errorText } from './format'

/** Progress points kept for the curves (the oldest are thinned out beyond this). */
const MAX_POINTS = 2000

export interface TrainForm {
  model: 'poi' | 'ce'
  inputSize: (typeof INPUT_SIZES)[number]
  /**
   * null (an empty field) = the engine's default, like `learningRate`: on native CPU it depends on the
   * project (epochs from an image-pass budget, 2-fold from 10,000 labelled images, batch 64; see
   * run/config.ts NATIVE_RECIPE), so the form does not guess it.
   */
  epochs: number | null
  /** 0 = in-training scores; 2..10 = k-fold; null = the engine's default. */
  folds: number | null
  batchSize: number | null
  /** null (an empty field) = the engine's default for the chosen backbone (SGD, 0.05 on the CPU default). */
  learningRate: number | null
  backend: (typeof TRAIN_BACKENDS)[number]
  backbone: (typeof TRAIN_BACKBONES)[number]
}

export function defaultTrainForm(): TrainForm {
  return {
    model: 'poi',
    inputSize: 48,
    epochs: null,
    folds: null,
    batchSize: null,
    learningRate: null,
    backend: 'auto',
    backbone: 'auto'
  }
}

/** Validates the form and turns it into the API's config; returns an error message instead when invalid. */
export function toTrainConfig(f: TrainForm): TrainConfig | string {
  // An emptied number input reads back as null (or undefined, or ''): the engine picks its tuned default.
  const given = (v: number | null): number | null => (v == null || (v as unknown) === '' ? null : v)
  const epochs = given(f.epochs)
  const folds = given(f.folds)
  const batchSize = given(f.batchSize)
  const lr = given(f.learningRate)
  if (epochs !== null && (!Number.isInteger(epochs) || epochs < 1 || epochs > 1000))
    return `Epochs must be a whole number from 1 to 1000 (got ${epochs}).`
  if (folds !== null && (!Number.isInteger(folds) || folds === 1 || folds < 0 || folds > 10))
    return `Folds must be 0 (no k-fold) or 2 to 10 (got ${folds}).`
  if (batchSize !== null && (!Number.isInteger(batchSize) || batchSize < 1 || batchSize > 1024))
    return `Batch size must be 1 to 1024 (got ${batchSize}).`
  if (lr !== null && !(lr > 0 && lr <= 10)) return `Learning rate must be above 0 and at most 10 (got ${lr}).`
  return {
    model: f.model,
    inputSize: f.inputSize,
    ...(epochs !== null ? { epochs } : {}),
    ...(folds !== null ? { folds } : {}),
    ...(batchSize !== null ? { batchSize } : {}),
    ...(lr !== null ? { learningRate: lr } : {}),
    backend: f.backend,
    // 'auto' is left out, so the run records the engine's choice for the backend that runs.
    ...(f.backbone !== 'auto' ? { backbone: f.backbone } : {})
  }
}

// eslint-disable-next-line svelte/prefer-svelte-reactivity -- a constant, never changed
export const ACTIVE_STATES: ReadonlySet<TrainStatus['state']> = new Set(['starting', 'running', 'cancelling'])

export class TrainState {
  status = $state.raw<TrainStatus | null>(null)
  runs = $state.raw<RunSummary[]>([])
  form = $state<TrainForm>(defaultTrainForm())
  /** Progress of the run on screen, oldest first. */
  points = $state.raw<TrainProgress[]>([])
  error = $state<string | null>(null)
  /** The engine answered NOT_AVAILABLE (or app.info says it is not in this build). */
  unavailable = $state<string | null>(null)
  busy = $state(false)
  /** The running audit job, if any. */
  auditJobId = $state<string | null>(null)
  auditMessage = $state<string | null>(null)
  /** What `poi-audit doctor` says about this machine's engines (loaded once; seconds to measure). */
  doctor = $state.raw<DoctorReport | null>(null)
  doctorError = $state<string | null>(null)
  private doctorAsked = false
  /** The run whose details are open, and its evidence. */
  detail = $state.raw<RunDetail | null>(null)
  detailError = $state<string | null>(null)
  /** When the current run was started from this page (for "starting… N s"). */
  startedAt = $state<number | null>(null)
  /** Runs ticked for comparison (at most two, in the order ticked). */
  picked = $state.raw<number[]>([])
  /** The open before/after comparison (runs.compare) of the two ticked runs. */
  comparison = $state.raw<RunComparisonView | null>(null)
  compareError = $state<string | null>(null)

  constructor(private readonly app: AppState) {}

  get active(): boolean {
    return !!this.status && ACTIVE_STATES.has(this.status.state)
  }

  get latest(): TrainProgress | null {
    return this.status?.progress ?? this.points[this.points.length - 1] ?? null
  }

  async load(): Promise<void> {
    const api = this.app.api
    const [s, runs] = await Promise.all([api.train.status({}), api.runs.list({})])
    if (runs.ok) this.runs = runs.value
    if (!s.ok) {
      if (s.code === 'NOT_AVAILABLE') this.unavailable = s.message
      else this.error = errorText(s)
      return
    }
    this.status = s.value
    if (!this.doctorAsked && (this.app.info?.capabilities.train ?? false)) void this.loadDoctor()
    const inBuild = this.app.info?.capabilities.train ?? true
    this.unavailable = s.value.available && inBuild ? null : 'The training engine is not part of this build yet.'
    if (s.value.progress && !this.points.length) this.points = [s.value.progress]
  }

  async loadDoctor(refresh = false): Promise<void> {
    this.doctorAsked = true
    this.doctorError = null
    const r = await this.app.api.app.doctor(refresh ? { refresh: true } : {})
    if (r.ok) this.doctor = r.value
    else this.doctorError = errorText(r)
  }

  /** Opens (or closes, when open) a run's curves and per-class precision / recall. */
  async showRun(runId: number): Promise<void> {
    if (this.detail?.runId === runId) {
      this.detail = null
      return
    }
    this.detailError = null
    const r = await this.app.api.runs.detail({ runId })
    if (r.ok) this.detail = r.value
    else this.detailError = errorText(r)
  }

  /** Ticks or unticks a run for comparison; a third tick replaces the oldest. */
  togglePick(runId: number): void {
    this.picked = this.picked.includes(runId)
      ? this.picked.filter((id) => id !== runId)
      : [...this.picked, runId].slice(-2)
    this.comparison = null
    this.compareError = null
  }

  /** Compares the two ticked runs, the older as "before" (runs.compare). */
  async compare(): Promise<void> {
    if (this.picked.length !== 2) return
    const [a, b] = [...this.picked].sort((x, y) => x - y)
    this.compareError = null
    const r = await this.app.api.runs.compare({ a, b })
    if (r.ok) this.comparison = r.value
    else this.compareError = errorText(r)
  }

  /** The run "Retrain with my corrections" starts from: the last ticked finished run, else the newest finished one. */
  get retrainFrom(): RunSummary | null {
    const done = this.runs.filter((r) => r.status === 'done')
    const ticked = [...this.picked]
      .reverse()
      .map((id) => done.find((r) => r.id === id))
      .find((r) => r)
    return ticked ?? done[0] ?? null
  }

  /** A new run with that run's configuration on the current labels (train.start with fromRun). */
  async retrain(): Promise<void> {
    const from = this.retrainFrom
    if (from) await this.launch({ config: {}, fromRun: from.id })
  }

  /** The engine's status only (the header's indicator, on any page). */
  async refreshStatus(): Promise<void> {
    const s = await this.app.api.train.status({})
    if (s.ok) this.status = s.value
  }

  async start(): Promise<void> {
    const config = toTrainConfig(this.form)
    if (typeof config === 'string') {
      this.error = config
      return
    }
    await this.launch({ config })
  }

  /** train.start, then a fresh status; failures go to `error`. */
  private async launch(args: { config: TrainConfig; fromRun?: number }): Promise<void> {
    this.error = null
    this.busy = true
    const r = await this.app.api.train.start(args)
    this.busy = false
    if (!r.ok) {
      if (r.code === 'NOT_AVAILABLE') this.unavailable = r.message
      this.error = errorText(r)
      return
    }
    this.points = []
    this.startedAt = Date.now()
    await this.load()
  }

  async cancel(): Promise<void> {
    const r = await this.app.api.train.cancel({})
    if (!r.ok) this.error = errorText(r)
  }

  async resume(runId: number): Promise<void> {
    this.error = null
    const r = await this.app.api.train.resume({ runId })
    if (!r.ok) {
      this.error = errorText(r)
      return
    }
    this.points = []
    await this.load()
  }

  get auditJob(): JobInfo | null {
    return this.auditJobId ? (this.app.jobs.byId[this.auditJobId] ?? null) : null
  }

  get canAudit(): boolean {
    return (
      (this.app.info?.capabilities.audit ?? false) && this.runs.some((r) => r.status === 'done' && r.predictions > 0)
    )
  }

  /**
   * Scores and ranks every image from a run's predictions (default: the newest finished run), with the
   * given settings (the rest at their defaults). Used by the Train page and by Overview → Flag thresholds.
   */
  async audit(runId?: number, settings?: Partial<AuditSettings>): Promise<void> {
    this.auditMessage = null
    const r = await this.app.api.audit.run({ ...(runId != null ? { runId } : {}), ...(settings ? { settings } : {}) })
    if (!r.ok) {
      this.auditMessage = errorText(r)
      return
    }
    this.auditJobId = r.value.jobId
    const fin = await this.app.jobs.track(r.value.jobId)
    this.auditJobId = null
    if (fin.job.state !== 'done') {
      this.auditMessage = fin.job.error ? `Audit failed: ${fin.job.error.message}` : `Audit ${fin.job.state}`
      return
    }
    this.auditMessage = 'Audit finished: the review is now ranked, with suggestions and flags.'
    await this.app.refreshProject()
    this.app.review.markStale()
    this.app.overview.markStale()
  }

  /** Runs that stopped early and may continue from their last checkpoint. */
  get resumable(): RunSummary[] {
    return this.runs.filter((r) => r.kind === 'train' && (r.status === 'cancelled' || r.status === 'failed'))
  }

  onEvent(e: ApiEvent): void {
    if (e.type === 'train.progress') {
      const p = e.progress
      const last = this.points[this.points.length - 1]
      // A new run (or fold) restarts the curves.
      const restart = last && (last.runId !== p.runId || last.fold !== p.fold)
      let pts = restart ? [p] : [...this.points, p]
      if (pts.length > MAX_POINTS) pts = pts.filter((_, i) => i % 2 === 0 || i === pts.length - 1)
      this.points = pts
      if (this.status) this.status = { ...this.status, progress: p }
    } else if (e.type === 'train.state') {
      const was = this.status?.state
      this.status = e.status
      if (was !== e.status.state && !ACTIVE_STATES.has(e.status.state)) {
        void this.app.api.runs.list({}).then((r) => {
          if (r.ok) this.runs = r.value
        })
        void this.app.refreshProject()
      }
    }
  }
}

/**
 * True for progress from inside a training epoch. The engine also reports its other phases
 * (preparing, caching features, validating, scoring) through the same event, with no steps or no
 * loss; the contract's TrainProgress carries no phase name, so they are told apart by that.
 */
export function inEpoch(p: TrainProgress): boolean {
  if (p.phase) return p.phase === 'train' && p.steps > 0 && p.step > 0
  return p.epoch >= 1 && p.steps > 0 && p.step > 0 && p.step < p.steps + 1
}

/** The final validation accuracy recorded in a run's metrics (mean over folds), or null. */
export function runValAcc(r: RunSummary): number | null {
  const final = (r.metrics as { final?: { valAcc?: number | null }[] } | null)?.final
  const v = Array.isArray(final)
    ? final.map((f) => f?.valAcc).filter((x): x is number => typeof x === 'number' && Number.isFinite(x))
    : []
  return v.length ? v.reduce((a, b) => a + b, 0) / v.length : null
}

/** Curve series of a finished run's stored epochs (x = epoch; folds after one another). */
export function epochCurves(d: RunDetail): {
  loss: [number, number][]
  trainAcc: [number, number][]
  valAcc: [number, number][]
} {
  const out = { loss: [] as [number, number][], trainAcc: [] as [number, number][], valAcc: [] as [number, number][] }
  const perFold = Math.max(1, ...d.epochs.map((e) => e.epoch))
  for (const e of d.epochs) {
    const x = Math.max(0, e.fold) * perFold + e.epoch
    if (e.loss != null) out.loss.push([x, e.loss])
    if (e.trainAcc != null) out.trainAcc.push([x, e.trainAcc])
    if (e.valAcc != null) out.valAcc.push([x, e.valAcc])
  }
  return out
}

/** Curve series from progress points: x = fractional epoch; only points that carry the value. */
export function curves(points: readonly TrainProgress[]): {
  loss: [number, number][]
  trainAcc: [number, number][]
  valAcc: [number, number][]
} {
  const loss: [number, number][] = []
  const trainAcc: [number, number][] = []
  const valAcc: [number, number][] = []
  let lastVal: number | null = null
  for (const p of points) {
    if (p.epoch < 1) continue
    const x = p.epoch - 1 + (p.steps > 0 ? Math.min(1, p.step / p.steps) : 1)
    // A loss of exactly 0 is the engine's "no loss in this phase", never a real cross-entropy.
    if (inEpoch(p) && Number.isFinite(p.loss.total) && p.loss.total > 0) loss.push([x, p.loss.total])
    if (inEpoch(p) && p.trainAcc != null) trainAcc.push([x, p.trainAcc])
    // Validation accuracy is repeated on later events; plot each new value once.
    if (p.valAcc != null && p.valAcc !== lastVal) {
      valAcc.push([x, p.valAcc])
      lastVal = p.valAcc
    }
  }
  return { loss, trainAcc, valAcc }
}
