/**
 * The main-side of background training: starts worker-entry in a worker_threads Worker, answers its
 * `store` requests on the host's writable connection, forwards progress, cancels (cooperatively,
 * then by terminating the thread after a grace period) and always ends in a terminal state.
 *
 * `runTrainingWorker` is the one-job primitive (the CLI uses it); core/api/training-host.ts adapts it
 * to the app API's TrainingHost for `poi-audit serve` and Electron. An Electron
 * build can pass its own `spawn` that wraps a utilityProcess in the same `WorkerLink` shape.
 */
import { fork } from 'node:child_process'
import { newWorker, workerEntry } from '../compute/thread'
import type { DB } from '../store/db'
import { uncachedImages } from '../store/cache'
import { ensurePixelCache } from '../dataset/cache-build'
import { storedFaceStep } from '../align/import-step'
import type { Project } from '../project'
import { fromApiConfig } from '../run/api-config'
import { resolveTrainConfig } from '../run/config'
import { projectCacheSettings } from '../run/paths'
import {
  TRAIN_WORKER_PROTOCOL,
  type HostMessage,
  type StartJob,
  type WireProgress,
  type WorkerMessage
} from './protocol'
import { applyStoreOp } from '../run/store'
import type { TrainResult } from './train'

/** A running worker, whatever process model carries it. */
export interface WorkerLink {
  post(m: HostMessage): void
  onMessage(fn: (m: WorkerMessage) => void): void
  /** Called once when the worker is gone; `code` is its exit code. */
  onExit(fn: (code: number, error?: Error) => void): void
  kill(): void
}

/**
 * Where the worker script is: out/main/train-worker.js next to the bundle (built app and CLI), else the
 * .ts source (tests, `tsx` runs). Override with env POI_TRAIN_WORKER.
 */
export function workerScript(): string {
  return workerEntry(import.meta.url, 'worker-entry.ts', 'train-worker.js', 'POI_TRAIN_WORKER')
}

/** Spawns worker-entry in a worker_threads Worker. */
export function spawnThreadWorker(): WorkerLink {
  const w = newWorker(workerScript())
  let exited = false
  return {
    post: (m) => w.postMessage(m),
    onMessage: (fn) => w.on('message', fn),
    onExit(fn) {
      let err: Error | undefined
      w.on('error', (e) => (err = e))
      w.on('exit', (code) => {
        exited = true
        fn(code, err)
      })
    },
    kill: () => {
      if (!exited) void w.terminate()
    }
  }
}

/**
 * Spawns worker-entry as a separate Node process (child_process.fork): a native crash there loses one
 * run, not the host. Same protocol over the IPC channel; the same shape fits an Electron utilityProcess.
 */
export function spawnProcessWorker(): WorkerLink {
  const file = workerScript()
  const child = fork(file, [], {
    execArgv: file.endsWith('.ts') ? ['--import', 'tsx'] : [],
    stdio: ['ignore', 'inherit', 'inherit', 'ipc']
  })
  let exited = false
  return {
    post: (m) => {
      if (child.connected) child.send(m)
    },
    onMessage: (fn) => child.on('message', (m) => fn(m as WorkerMessage)),
    onExit(fn) {
      let err: Error | undefined
      child.on('error', (e) => (err = e))
      child.on('exit', (code, sig) => {
        exited = true
        fn(code ?? (sig ? 128 : 1), err)
      })
    },
    kill: () => {
      if (!exited) child.kill()
    }
  }
}

export interface RunWorkerOptions {
  /** The host's writable connection to the project (the worker's store requests run on it). */
  db: DB
  onProgress?: (p: WireProgress) => void
  onStarted?: (runId: number) => void
  signal?: AbortSignal
  /** After a cancel, how long the worker may take to stop before it is terminated (ms, default 5000). */
  graceMs?: number
  spawn?: () => WorkerLink
}

export interface WorkerOutcome {
  status: 'done' | 'cancelled' | 'failed' | 'crashed'
  runId: number | null
  result: TrainResult | null
  error: string | null
  exitCode: number | null
}

/** Runs one job in a worker; resolves with its outcome (never rejects for training errors). */
export function runTrainingWorker(job: StartJob, o: RunWorkerOptions): Promise<WorkerOutcome> {
  const link = (o.spawn ?? spawnThreadWorker)()
  return new Promise((resolve) => {
    let runId: number | null = null
    let outcome: WorkerOutcome | null = null
    let killTimer: NodeJS.Timeout | null = null
    const finish = (x: WorkerOutcome): void => {
      if (outcome) return
      outcome = x
      o.signal?.removeEventListener('abort', onAbort)
      if (killTimer) clearTimeout(killTimer)
      link.kill()
      resolve(x)
    }
    const onAbort = (): void => {
      link.post({ type: 'cancel' })
      killTimer = setTimeout(
        () =>
          finish({
            status: 'cancelled',
            runId,
            result: null,
            error: 'the worker did not stop in time and was terminated',
            exitCode: null
          }),
        o.graceMs ?? 5000
      )
    }
    link.onMessage((m) => {
      switch (m.type) {
        case 'ready':
          if (m.protocol !== TRAIN_WORKER_PROTOCOL) {
            finish({
              status: 'failed',
              runId,
              result: null,
              error: `the training worker speaks protocol ${m.protocol}, this host ${TRAIN_WORKER_PROTOCOL}`,
              exitCode: null
            })
            return
          }
          link.post({ type: 'start', protocol: TRAIN_WORKER_PROTOCOL, ...job })
          return
        case 'started':
          runId = m.runId
          o.onStarted?.(m.runId)
          return
        case 'progress':
          o.onProgress?.(m.progress)
          return
        case 'store': {
          let reply: HostMessage
          try {
            reply = { type: 'store-result', id: m.id, ok: true, value: applyStoreOp(o.db, m.op) }
          } catch (e) {
            reply = { type: 'store-result', id: m.id, ok: false, value: (e as Error).message }
          }
          link.post(reply)
          return
        }
        case 'done':
          finish({ status: 'done', runId: m.runId, result: m.result, error: null, exitCode: null })
          return
        case 'cancelled':
          finish({ status: 'cancelled', runId: m.runId ?? runId, result: m.result, error: null, exitCode: null })
          return
        case 'failed':
          finish({ status: 'failed', runId, result: null, error: m.message, exitCode: null })
          return
        case 'log':
          return
      }
    })
    link.onExit((code, err) => {
      finish({
        status: 'crashed',
        runId,
        result: null,
        error: err ? err.message : `the training worker exited with code ${code}`,
        exitCode: code
      })
    })
    if (o.signal?.aborted) onAbort()
    else o.signal?.addEventListener('abort', onAbort, { once: true })
  })
}

/**
 * Builds the pixel cache a job needs (main side: it decodes source images and writes the project),
 * so the worker only ever reads. Returns how many rows were built.
 */
export async function ensureJobCache(
  db: DB,
  job: Pick<StartJob, 'config' | 'apiConfig'>,
  signal?: AbortSignal,
  progress?: (done: number, total: number) => void
): Promise<number> {
  const s = projectCacheSettings(db)
  const input = job.apiConfig ? fromApiConfig(job.apiConfig).config : (job.config ?? {})
  const cfg = resolveTrainConfig(input, { inputSize: s.inputSize, channels: s.channels })
  if (!uncachedImages(db, cfg.inputSize, cfg.channels).length) return 0
  // Faces aligned at import are re-cut with their stored transform, so a new input size trains on the
  // same crops the curator reviews (no detector runs here).
  const r = await ensurePixelCache({ db } as unknown as Project, cfg.inputSize, cfg.channels, {
    signal,
    prepareFace: storedFaceStep(db),
    progress: (e) => progress?.(e.done, e.total)
  })
  if (r.failed.length) {
    const f = r.failed[0]
    throw new Error(
      `${r.failed.length} image(s) could not be cached at ${cfg.inputSize} px (e.g. ${f.path}: ${f.reason})`
    )
  }
  return r.built
}
