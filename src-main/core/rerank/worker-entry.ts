/**
 * The learning queue's worker thread: opens the project read-only (its own connection; WAL lets it
 * read while the server keeps writing decisions), reads the audit and the decisions, fits and
 * re-ranks, and posts the order back as a transferable Int32Array. It never writes: the host stores
 * the order on the writer's connection (rerank/queue.ts saveQueueOrder).
 */
import { parentPort, workerData } from 'node:worker_threads'
import { getPriority, setPriority } from 'node:os'
import { openProjectDb } from '../store/db'
import { computeOrder, loadRerankInput } from './queue'
import type { RerankJob, RerankReply } from './worker'

/**
 * Lowers this thread's scheduling priority to `nice` where that touches only this thread: on Linux the nice
 * value is per thread, so setpriority(PRIO_PROCESS, 0) from a worker lowers the worker alone and review
 * on the main thread keeps the CPU when both want it. Elsewhere (macOS, Windows) the same call would
 * lower the whole app, so the worker keeps the app's priority there. Returns the nice value the thread
 * runs at (null where it cannot be read).
 */
function background(nice: number | undefined): number | null {
  if (process.platform === 'linux' && nice != null) {
    try {
      setPriority(0, nice)
    } catch {
      // not permitted (a container's seccomp, say): run at the app's priority
    }
  }
  try {
    return getPriority(0)
  } catch {
    return null
  }
}

function run(job: RerankJob): RerankReply {
  const priority = background(job.nice)
  const t0 = performance.now()
  const p = openProjectDb(job.projectPath, { readonly: true, quickCheck: false })
  try {
    const input = loadRerankInput(p.db, job.auditId)
    const readMs = performance.now() - t0
    return { ok: true, ...computeOrder(input), readMs, watermark: input.watermark, priority }
  } finally {
    p.close()
  }
}

let reply: RerankReply
try {
  reply = run(workerData as RerankJob)
} catch (e) {
  reply = { ok: false, message: (e as Error).message }
}
parentPort!.postMessage(reply, reply.ok ? [reply.order.buffer as ArrayBuffer] : [])
