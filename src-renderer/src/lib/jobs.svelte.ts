/**
 * Long-running jobs (import, audit, train, export) as the renderer sees them: their latest JobInfo
 * from `job.progress` / `job.finished` events, and a promise per job that settles when it finishes.
 * Events can beat the answer of the call that started the job, so finished jobs are remembered and
 * `track` settles at once for them; a slow poll of `jobs.list` covers a dropped event stream.
 */
import type { ApiClient, ApiEvent, JobInfo, JsonValue } from './api'

export interface FinishedJob {
  job: JobInfo
  /** The engine's result (import report, export manifest ...); null when only polled. */
  result: JsonValue
}

const POLL_MS = 2000

/** Where a job's current phase began: its ETA is the rate since then applied to what is left. */
interface PhaseStart {
  phase: string
  at: number
  done: number
}

/** Seconds left in the job's current phase at the rate since the phase began; null while unknown. */
export function phaseEta(
  job: Pick<JobInfo, 'done' | 'total'>,
  start: PhaseStart | undefined,
  now: number
): number | null {
  if (!start || job.total == null || job.done <= start.done || job.done >= job.total) return null
  const perUnit = (now - start.at) / 1000 / (job.done - start.done)
  return perUnit * (job.total - job.done)
}

export class JobsState {
  /** Latest known state of every job seen, by id. */
  byId = $state.raw<Record<string, JobInfo>>({})
  // eslint-disable-next-line svelte/prefer-svelte-reactivity -- bookkeeping for waiters; `byId` is the state
  private readonly finished = new Map<string, FinishedJob>()
  // eslint-disable-next-line svelte/prefer-svelte-reactivity -- bookkeeping for waiters; `byId` is the state
  private readonly phases = new Map<string, PhaseStart>()
  // eslint-disable-next-line svelte/prefer-svelte-reactivity -- bookkeeping for waiters; `byId` is the state
  private readonly waiters = new Map<string, ((f: FinishedJob) => void)[]>()
  private poll: ReturnType<typeof setInterval> | null = null

  constructor(private readonly api: ApiClient) {}

  onEvent(e: ApiEvent): void {
    if (e.type === 'job.progress') this.update(e.job)
    else if (e.type === 'job.finished') this.finish({ job: e.job, result: e.result })
  }

  /** Settles when the job finishes (in any state: done, failed, cancelled). */
  track(jobId: string): Promise<FinishedJob> {
    const done = this.finished.get(jobId)
    if (done) return Promise.resolve(done)
    this.startPolling()
    return new Promise((resolve) => {
      const list = this.waiters.get(jobId) ?? []
      list.push(resolve)
      this.waiters.set(jobId, list)
    })
  }

  /** Jobs still running, oldest first (the header's indicator). */
  get running(): JobInfo[] {
    return Object.values(this.byId)
      .filter((j) => j.state === 'running')
      .sort((a, b) => a.startedAt.localeCompare(b.startedAt))
  }

  /** Seconds left in a running job's current phase, when its rate is known. */
  eta(job: JobInfo, now = Date.now()): number | null {
    return phaseEta(job, this.phases.get(job.id), now)
  }

  /** Learns the jobs already running (a page opened while an import or export runs). */
  async refresh(): Promise<void> {
    const r = await this.api.jobs.list({})
    if (!r.ok) return
    for (const job of r.value) if (job.state === 'running') this.update(job)
  }

  async cancel(jobId: string): Promise<void> {
    await this.api.jobs.cancel({ jobId })
  }

  dispose(): void {
    if (this.poll) clearInterval(this.poll)
    this.poll = null
  }

  private update(job: JobInfo): void {
    const ph = this.phases.get(job.id)
    if (job.state !== 'running') this.phases.delete(job.id)
    else if (!ph || ph.phase !== job.phase)
      this.phases.set(job.id, { phase: job.phase, at: Date.now(), done: job.done })
    this.byId = { ...this.byId, [job.id]: job }
  }

  private finish(f: FinishedJob): void {
    this.update(f.job)
    if (this.finished.has(f.job.id) && f.result === null) return
    this.finished.set(f.job.id, f)
    const list = this.waiters.get(f.job.id)
    this.waiters.delete(f.job.id)
    for (const w of list ?? []) w(f)
    if (!this.waiters.size) this.dispose()
  }

  private startPolling(): void {
    if (this.poll) return
    this.poll = setInterval(() => void this.pollOnce(), POLL_MS)
  }

  private async pollOnce(): Promise<void> {
    const r = await this.api.jobs.list({})
    if (!r.ok) return
    for (const job of r.value) {
      if (!this.waiters.has(job.id)) continue
      if (job.state === 'running') this.update(job)
      else this.finish({ job, result: null })
    }
  }
}
