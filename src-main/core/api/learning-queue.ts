/**
 * The learning review queue of one API instance (queue.* methods and the hook after every decision).
 *
 * Every `every` curator decisions (per-project setting, default 50), or on demand, the not-yet-reviewed
 * part of the queue is re-ranked from the decisions (core/rerank). The read, fit and re-rank run in a
 * worker thread on its own read-only connection, so a decision never waits for them; the finished
 * order is swapped in by one write transaction on the session's connection, and a `project.changed`
 * 'queue' event tells the renderer to reload its default queue. At most one re-rank runs at a time; a
 * re-rank whose project or audit changed while it ran is dropped, not stored.
 */
import type { ApiEvent, LearningQueueState } from './contract'
import { ApiFailure } from './errors'
import type { ProjectSession } from './session'
import { readContext } from './queries/context'
import {
  decisionsSince,
  getLearningSettings,
  lastRerank,
  learnedOrderActive,
  setLearningSettings,
  type LearningSettings
} from '../rerank/queue'
import { rerankProject } from '../rerank/worker'

export class LearningQueue {
  private running: Promise<void> | null = null
  private error: string | null = null

  constructor(
    private readonly session: ProjectSession,
    private readonly emit: (e: ApiEvent) => void,
    private readonly log: (msg: string) => void
  ) {}

  state(): LearningQueueState {
    const db = this.session.require().db
    const s = getLearningSettings(db)
    const last = lastRerank(db)
    const { auditId } = readContext(db)
    const lastView = last && {
      auditId: last.auditId,
      at: last.at,
      images: last.images,
      decisions: last.decisions,
      used: last.used,
      method: last.method ?? 'signals',
      order: last.order,
      reason: last.reason,
      fitMs: last.fitMs,
      readMs: last.readMs,
      workerNice: last.priority ?? null,
      storeMs: last.storeMs,
      storeMaxMs: last.storeMaxMs,
      totalMs: last.totalMs
    }
    return {
      ...s,
      decisionsSince: decisionsSince(db, last?.watermark ?? 0),
      running: !!this.running,
      active: learnedOrderActive(db, auditId) != null,
      last: lastView,
      error: this.error
    }
  }

  set(patch: Partial<LearningSettings>): LearningQueueState {
    const before = getLearningSettings(this.session.require().db)
    const after = setLearningSettings(this.session.require().db, patch)
    // On/off changes the Review default order: the renderer reloads its queue.
    if (before.enabled !== after.enabled) this.emit({ type: 'project.changed', what: 'queue' })
    return this.state()
  }

  /** On demand (queue.rerank): starts a re-rank unless one runs; with `wait`, answers after it. */
  async rerank(wait: boolean): Promise<LearningQueueState> {
    const { auditId } = readContext(this.session.require().db)
    if (auditId == null)
      throw new ApiFailure('NOT_AVAILABLE', 'the learning queue needs an audit to re-rank; run one first')
    const job = this.running ?? this.start(auditId)
    if (wait) await job
    return this.state()
  }

  /** After a decision: re-ranks in the background once `every` decisions have come in (queue on). Cheap otherwise. */
  afterDecision(): void {
    if (this.running) return
    const db = this.session.require().db
    const s = getLearningSettings(db)
    if (!s.enabled) return
    const { auditId } = readContext(db)
    if (auditId == null) return
    if (decisionsSince(db, lastRerank(db)?.watermark ?? 0) >= s.every) void this.start(auditId)
  }

  /** Resolves when no re-rank runs (close() waits for it: the worker reads the project file). */
  async settle(): Promise<void> {
    while (this.running) await this.running
  }

  private start(auditId: number): Promise<void> {
    const p = this.session.require()
    const current = (): boolean => this.session.project === p && readContext(p.db).auditId === auditId
    const { method } = getLearningSettings(p.db)
    const job = rerankProject(p.db, { projectPath: p.path, auditId, method }, current)
      .then((record) => {
        this.error = null
        if (!record) return
        this.log(
          `learning queue (${method}): ${record.order === 'learned' ? 're-ranked' : 'kept the audit order of'} ${record.images} images from ${record.decisions} decisions in ${record.totalMs} ms`
        )
        this.emit({ type: 'project.changed', what: 'queue' })
      })
      .catch((e: unknown) => {
        this.error = (e as Error).message
        this.log(`learning queue: ${this.error}`)
      })
      .finally(() => {
        if (this.running === job) this.running = null
      })
    this.running = job
    return job
  }
}
