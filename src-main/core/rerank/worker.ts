/**
 * Runs one re-rank of the learning queue in a worker thread (worker-entry.ts) and stores the result:
 * the path the server, the Electron app and bench:rerank share, so the bench times what the app does.
 */
import { newWorker, workerEntry } from '../compute/thread'
import type { DB } from '../store/db'
import { saveQueueOrder, type ComputedOrder, type LearningMethod, type RerankRecord } from './queue'

/** What the worker is given (workerData). */
export interface RerankJob {
  projectPath: string
  auditId: number
  /** What to fit (default 'signals'; the app passes the project's setting). */
  method?: LearningMethod
  /**
   * Nice value for the worker thread (Linux only: there it lowers the worker alone; see worker-entry.ts).
   * Default RERANK_NICE: the re-rank yields the CPU to review.
   */
  nice?: number
}

/** The worker's default nice value: background work, review first. */
export const RERANK_NICE = 19

/** What the worker answers. `order`: every scored image id, first to last. Times in ms. */
export type RerankReply =
  | (ComputedOrder & { ok: true; readMs: number; watermark: number; priority: number | null })
  | { ok: false; message: string }

/**
 * The worker script: out/main/rerank-worker.js next to the bundle (built app and CLI), else the .ts
 * source (tests, tsx). Override with env POI_RERANK_WORKER.
 */
export function rerankWorkerScript(): string {
  return workerEntry(import.meta.url, 'worker-entry.ts', 'rerank-worker.js', 'POI_RERANK_WORKER')
}

/** Reads, fits and re-ranks in a worker thread; rejects with the worker's error message. */
export function rerankInWorker(job: RerankJob): Promise<Extract<RerankReply, { ok: true }>> {
  return new Promise((resolve, reject) => {
    const w = newWorker(rerankWorkerScript(), { workerData: { nice: RERANK_NICE, ...job } })
    let done = false
    w.once('message', (m: RerankReply) => {
      done = true
      if (m.ok) resolve(m)
      else reject(new Error(`re-rank of ${job.projectPath} failed: ${m.message}`))
    })
    w.once('error', (e) => {
      done = true
      reject(e)
    })
    w.once('exit', (code) => {
      if (!done) reject(new Error(`re-rank worker exited with code ${code} before answering`))
    })
  })
}

/**
 * One full re-rank: worker (read + fit + re-rank), then the order is stored on `db` (the writer's
 * connection) unless `stillCurrent` says the audit changed meanwhile (then null: nothing stored).
 */
export async function rerankProject(
  db: DB,
  job: RerankJob,
  stillCurrent: () => boolean = () => true
): Promise<RerankRecord | null> {
  const t0 = performance.now()
  const r = await rerankInWorker(job)
  const record = {
    images: r.images,
    decisions: r.decisions,
    used: r.used,
    method: r.method,
    order: r.decision.used,
    reason: r.decision.reason,
    fitMs: Math.round(r.fitMs),
    readMs: Math.round(r.readMs),
    priority: r.priority,
    watermark: r.watermark
  }
  return saveQueueOrder(db, job.auditId, r.order, record, t0, stillCurrent)
}
