/**
 * The learning queue's worker thread: opens the project read-only (its own connection; WAL lets it
 * read while the server keeps writing decisions), reads the audit and the decisions, fits and
 * re-ranks, and posts the order back as a transferable Int32Array. It never writes: the host stores
 * the order on the writer's connection (rerank/queue.ts saveQueueOrder).
 */
import { answerReadJob } from '../store/read-worker'
import { computeOrder, loadRerankInput } from './queue'
import type { RerankJob } from './worker'

answerReadJob(
  (db, job: RerankJob, { priority, t0 }) => {
    const input = loadRerankInput(db, job.auditId)
    const readMs = performance.now() - t0
    return { ...computeOrder(input, job.method), readMs, watermark: input.watermark, priority }
  },
  (reply) => [reply.order.buffer as ArrayBuffer]
)
