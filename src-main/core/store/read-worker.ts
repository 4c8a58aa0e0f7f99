/**
 * The body of a worker thread that reads a project (the learning queue's re-rank, the consensus fit):
 * lowers the thread's priority, opens the project read-only on its own connection (WAL lets it read
 * while the server keeps writing), runs the work, closes, and posts `{ok: true, ...}` or
 * `{ok: false, message}` to the host.
 */
import { parentPort, workerData } from 'node:worker_threads'
import { lowerThreadPriority } from '../compute/thread'
import { openProjectDb, type DB } from './db'

/** What every read job gives its worker (workerData). */
export interface ReadJob {
  projectPath: string
  /** Nice value for the worker thread (Linux only; see compute/thread.ts lowerThreadPriority). */
  nice?: number
}

/** Runs `work` on workerData's project and posts the answer (with `transfer`'s buffers moved, not copied). */
export function answerReadJob<J extends ReadJob, R extends object>(
  work: (db: DB, job: J, thread: { priority: number | null; t0: number }) => R,
  transfer: (reply: R) => ArrayBuffer[] = () => []
): void {
  let reply: ({ ok: true } & R) | { ok: false; message: string }
  try {
    const job = workerData as J
    const priority = lowerThreadPriority(job.nice)
    const t0 = performance.now()
    const p = openProjectDb(job.projectPath, { readonly: true, quickCheck: false })
    try {
      reply = { ok: true, ...work(p.db, job, { priority, t0 }) }
    } finally {
      p.close()
    }
  } catch (e) {
    reply = { ok: false, message: (e as Error).message }
  }
  parentPort!.postMessage(reply, reply.ok ? transfer(reply) : [])
}
