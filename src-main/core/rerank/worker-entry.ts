/**
 * The learning queue's worker thread: opens the project read-only (its own connection; WAL lets it
 * read while the server keeps writing decisions), reads the audit and the decisions, fits and
 * re-ranks, and posts the order back as a transferable Int32Array. It never writes: the host stores
 * the order on the writer's connection (rerank/queue.ts saveQueueOrder).
 */
import { parentPort, workerData } from 'node:worker_threads'
import { openProjectDb } from '../store/db'
import { computeOrder, loadRerankInput } from './queue'
import type { RerankJob, RerankReply } from './worker'

function run(job: RerankJob): RerankReply {
  const t0 = performance.now()
  const p = openProjectDb(job.projectPath, { readonly: true, quickCheck: false })
  try {
    const input = loadRerankInput(p.db, job.auditId)
    const readMs = performance.now() - t0
    return { ok: true, ...computeOrder(input), readMs, watermark: input.watermark }
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
