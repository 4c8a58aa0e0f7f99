/**
 * Runs one consensus fit in a worker thread (worker-entry.ts), so that a fit over 35k images (seconds)
 * never holds up the API thread. consensus/cached.ts decides when to start one.
 */
import { newWorker, workerEntry } from '../compute/thread'
import type { ReadJob } from '../store/read-worker'
import type { ComputedFit, ConsensusRequest } from './fit'

/** What the worker is given (workerData). */
export interface ConsensusJob extends ReadJob {
  req: ConsensusRequest
}

/** The worker's default nice value: background work, review first. */
export const CONSENSUS_NICE = 10

export type ConsensusReply = { ok: true; fit: ComputedFit } | { ok: false; message: string }

/**
 * The worker script: out/main/consensus-worker.js next to the bundle (built app and CLI), else the .ts
 * source (tests, tsx). Override with env POI_CONSENSUS_WORKER.
 */
export function consensusWorkerScript(): string {
  return workerEntry(import.meta.url, 'worker-entry.ts', 'consensus-worker.js', 'POI_CONSENSUS_WORKER')
}

/** Fits in a worker thread; rejects with the fit's error message (the same text an inline fit throws). */
export function fitInWorker(job: ConsensusJob): Promise<ComputedFit> {
  return new Promise((resolve, reject) => {
    const w = newWorker(consensusWorkerScript(), { workerData: { nice: CONSENSUS_NICE, ...job } })
    let done = false
    w.once('message', (m: ConsensusReply) => {
      done = true
      if (m.ok) resolve(m.fit)
      else reject(new Error(m.message))
    })
    w.once('error', (e) => {
      done = true
      reject(e)
    })
    w.once('exit', (code) => {
      if (!done) reject(new Error(`consensus worker exited with code ${code} before answering`))
    })
  })
}
