/**
 * Long work (import, audit, export, training) as jobs: each gets an id, an AbortSignal, and a
 * progress callback whose updates go out as `job.progress` events (at most ~10 per second per job,
 * the first and last always), then one `job.finished` event. The job list answers `jobs.list`.
 */
import { randomUUID } from 'node:crypto'
import type { ApiErrorCode, ApiEvent, JobInfo, JobKind, JsonValue } from './contract'
import { ApiFailure, classify, userMessage } from './errors'
import { storageFailure } from '../store/io-errors'

/** What a running job reports. `total` null = unknown. */
export interface JobProgress {
  phase: string
  done: number
  total?: number | null
  message?: string | null
}

/** Given to the work function of a job. */
export interface JobContext {
  readonly jobId: string
  readonly signal: AbortSignal
  progress(p: JobProgress): void
}

export type JobWork = (ctx: JobContext) => Promise<JsonValue>

interface Entry {
  info: JobInfo
  controller: AbortController
  promise: Promise<void>
  lastEmit: number
}

const MIN_INTERVAL_MS = 100
const KEEP_FINISHED = 50

export class JobRegistry {
  private readonly jobs = new Map<string, Entry>()

  constructor(
    private readonly emit: (e: ApiEvent) => void,
    private readonly log: (msg: string) => void = () => {}
  ) {}

  /**
   * Starts `work` as a job; BUSY when a job of the same kind runs and `exclusive` (the default). `actor`: the
   * curator whose call starts it (shown to the others, named when they are refused).
   */
  start(kind: JobKind, work: JobWork, opts: { exclusive?: boolean; actor?: string } = {}): JobInfo {
    if (opts.exclusive !== false) {
      const running = [...this.jobs.values()].find((j) => j.info.kind === kind && j.info.state === 'running')
      if (running) {
        const by = running.info.startedBy ? `, started by ${running.info.startedBy}` : ''
        throw new ApiFailure('BUSY', `a ${kind} job is already running (${running.info.id}${by})`)
      }
    }
    const id = randomUUID()
    const controller = new AbortController()
    const info: JobInfo = {
      id,
      kind,
      state: 'running',
      phase: 'starting',
      done: 0,
      total: null,
      message: null,
      startedAt: new Date().toISOString(),
      finishedAt: null,
      error: null,
      startedBy: opts.actor ?? null
    }
    const entry: Entry = { info, controller, promise: Promise.resolve(), lastEmit: 0 }
    this.jobs.set(id, entry)
    const ctx: JobContext = {
      jobId: id,
      signal: controller.signal,
      progress: (p) => {
        if (info.state !== 'running') return
        info.phase = p.phase
        info.done = p.done
        info.total = p.total ?? null
        info.message = p.message ?? null
        const now = Date.now()
        const last = p.total != null && p.done >= p.total
        if (last || now - entry.lastEmit >= MIN_INTERVAL_MS) {
          entry.lastEmit = now
          this.emit({ type: 'job.progress', job: { ...info } })
        }
      }
    }
    this.emit({ type: 'job.progress', job: { ...info } })
    // Start on the next tick so start() returns the id before any progress or failure event.
    entry.promise = new Promise<void>((r) => setImmediate(r))
      .then(() => work(ctx))
      .then(
        (result) => this.finish(entry, controller.signal.aborted ? 'cancelled' : 'done', null, result),
        (e: unknown) => {
          if (controller.signal.aborted) return this.finish(entry, 'cancelled', null, null)
          e = storageFailure(e, null) ?? e
          const code: ApiErrorCode = classify(e) ?? 'INTERNAL'
          if (code === 'INTERNAL') this.log(`job ${kind} ${id} failed: ${(e as Error)?.stack ?? String(e)}`)
          this.finish(entry, 'failed', { code, message: userMessage(e) }, null)
        }
      )
    this.prune()
    return { ...info }
  }

  private finish(entry: Entry, state: JobInfo['state'], error: JobInfo['error'], result: JsonValue): void {
    entry.info.state = state
    entry.info.error = error
    entry.info.finishedAt = new Date().toISOString()
    this.emit({ type: 'job.finished', job: { ...entry.info }, result: result ?? null })
  }

  /** Asks a running job to stop (its signal aborts); false when it is not running. */
  cancel(id: string): boolean {
    const e = this.jobs.get(id)
    if (!e || e.info.state !== 'running') return false
    e.controller.abort(new ApiFailure('CANCELLED', 'cancelled by the user'))
    return true
  }

  list(): JobInfo[] {
    return [...this.jobs.values()].map((e) => ({ ...e.info }))
  }

  get(id: string): JobInfo | null {
    const e = this.jobs.get(id)
    return e ? { ...e.info } : null
  }

  /** Resolves when every job has finished (after cancelling them when `cancel`). */
  async settle(cancel = false): Promise<void> {
    if (cancel) for (const id of this.jobs.keys()) this.cancel(id)
    await Promise.all([...this.jobs.values()].map((e) => e.promise))
  }

  private prune(): void {
    const finished = [...this.jobs.values()].filter((e) => e.info.state !== 'running')
    for (const e of finished.slice(0, Math.max(0, finished.length - KEEP_FINISHED))) this.jobs.delete(e.info.id)
  }
}
