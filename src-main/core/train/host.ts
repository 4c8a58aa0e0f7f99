/**
 * The main-side of background training: starts worker-entry in a worker_threads Worker, answers its
 * `store` requests on the host's writable connection, forwards progress, cancels (cooperatively,
 * then by terminating the thread after a grace period) and always ends in a terminal state.
 *
 * `runTrainingWorker` is the one-job primitive (the CLI uses it); `createTrainingHost` adapts it to
 * the app API's TrainingHost (core/api/engines.ts) for `poi-audit serve` and Electron. An Electron
 * build can pass its own `spawn` that wraps a utilityProcess in the same `WorkerLink` shape.
 */
import { fork } from 'node:child_process'
import { existsSync } from 'node:fs'
import { dirname, join } from 'node:path'
import { createRequire } from 'node:module'
import { fileURLToPath, pathToFileURL } from 'node:url'
import { Worker } from 'node:worker_threads'
import type { TrainHostEvent, TrainingHost, TrainStartRequest } from '../api/engines'
import type { TrainConfig as ApiTrainConfigT, TrainStatus } from '../api/contract'
import type { DB } from '../store/db'
import { uncachedImages } from '../store/cache'
import { ensurePixelCache } from '../dataset/cache-build'
import { storedFaceStep } from '../align/import-step'
import type { Project } from '../project'
import { fromApiConfig } from './api-config'
import { resolveTrainConfig } from './config'
import { projectCacheSettings } from './paths'
import { TRAIN_WORKER_PROTOCOL, type HostMessage, type StartJob, type WireProgress, type WorkerMessage } from './protocol'
import { applyStoreOp } from './run-store'
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
  const env = process.env.POI_TRAIN_WORKER
  if (env) return env
  const here = fileURLToPath(import.meta.url)
  if (here.endsWith('.ts')) return join(dirname(here), 'worker-entry.ts')
  for (const dir of [dirname(here), join(dirname(here), '..')]) {
    const f = join(dir, 'train-worker.js')
    if (existsSync(f)) return f
  }
  throw new Error(`training worker script not found next to ${here} (set POI_TRAIN_WORKER)`)
}

/**
 * A Worker for a script. TypeScript sources start through a tiny ESM bootstrap that registers tsx's
 * loader inside the thread (loader hooks of the parent do not reach worker threads).
 */
function newWorker(file: string): Worker {
  if (!file.endsWith('.ts')) return new Worker(file)
  const req = createRequire(import.meta.url)
  const api = pathToFileURL(join(dirname(req.resolve('tsx/package.json')), 'dist', 'esm', 'api', 'index.mjs')).href
  const code = `import { register } from ${JSON.stringify(api)}; register(); await import(${JSON.stringify(pathToFileURL(file).href)})`
  return new Worker(new URL(`data:text/javascript,${encodeURIComponent(code)}`))
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
  const child = fork(file, [], { execArgv: file.endsWith('.ts') ? ['--import', 'tsx'] : [], stdio: ['ignore', 'inherit', 'inherit', 'ipc'] })
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
      killTimer = setTimeout(() => finish({ status: 'cancelled', runId, result: null, error: 'the worker did not stop in time and was terminated', exitCode: null }), o.graceMs ?? 5000)
    }
    link.onMessage((m) => {
      switch (m.type) {
        case 'ready':
          if (m.protocol !== TRAIN_WORKER_PROTOCOL) {
            finish({ status: 'failed', runId, result: null, error: `the training worker speaks protocol ${m.protocol}, this host ${TRAIN_WORKER_PROTOCOL}`, exitCode: null })
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
      finish({ status: 'crashed', runId, result: null, error: err ? err.message : `the training worker exited with code ${code}`, exitCode: code })
    })
    if (o.signal?.aborted) onAbort()
    else o.signal?.addEventListener('abort', onAbort, { once: true })
  })
}

/**
 * Builds the pixel cache a job needs (main side: it decodes source images and writes the project),
 * so the worker only ever reads. Returns how many rows were built.
 */
export async function ensureJobCache(db: DB, job: Pick<StartJob, 'config' | 'apiConfig'>, signal?: AbortSignal, progress?: (done: number, total: number) => void): Promise<number> {
  const s = projectCacheSettings(db)
  const input = job.apiConfig ? fromApiConfig(job.apiConfig).config : (job.config ?? {})
  const cfg = resolveTrainConfig(input, { inputSize: s.inputSize, channels: s.channels })
  if (!uncachedImages(db, cfg.inputSize, cfg.channels).length) return 0
  // Faces aligned at import are re-cut with their stored transform, so a new input size trains on the
  // same crops the curator reviews (no detector runs here).
  const r = await ensurePixelCache({ db } as unknown as Project, cfg.inputSize, cfg.channels, { signal, prepareFace: storedFaceStep(db), progress: (e) => progress?.(e.done, e.total) })
  if (r.failed.length) {
    const f = r.failed[0]
    throw new Error(`${r.failed.length} image(s) could not be cached at ${cfg.inputSize} px (e.g. ${f.path}: ${f.reason})`)
  }
  return r.built
}

export interface TrainingHostOptions {
  /** The writable connection of the project at `projectPath` (the API session's). */
  resolveDb(projectPath: string): DB
  spawn?: () => WorkerLink
  graceMs?: number
}

/** The app API's TrainingHost over worker threads. One run at a time. */
export function createTrainingHost(opts: TrainingHostOptions): TrainingHost {
  const listeners = new Set<(e: TrainHostEvent) => void>()
  let status: TrainStatus = { available: true, state: 'idle', runId: null, jobId: null, progress: null, error: null, exitCode: null }
  let controller: AbortController | null = null
  let running: Promise<void> | null = null
  const emit = (e: TrainHostEvent): void => listeners.forEach((l) => l(e))
  const setStatus = (s: Partial<TrainStatus>): void => {
    status = { ...status, ...s }
    emit({ type: 'state', status })
  }
  return {
    start(req: TrainStartRequest) {
      if (status.state === 'starting' || status.state === 'running' || status.state === 'cancelling') throw new Error('a training run is in progress')
      const db = opts.resolveDb(req.projectPath)
      controller = new AbortController()
      const signal = controller.signal
      const job: StartJob = { projectPath: req.projectPath, apiConfig: req.config as ApiTrainConfigT, resumeFrom: req.resumeRunId }
      setStatus({ state: 'starting', runId: req.resumeRunId ?? null, progress: null, error: null, exitCode: null })
      running = (async () => {
        try {
          await ensureJobCache(db, job, signal)
          if (signal.aborted) {
            setStatus({ state: 'cancelled' })
            return
          }
          const out = await runTrainingWorker(job, {
            db,
            signal,
            spawn: opts.spawn,
            graceMs: opts.graceMs,
            onStarted: (runId) => setStatus({ state: status.state === 'cancelling' ? 'cancelling' : 'running', runId }),
            onProgress: (p) => {
              const { detail, ...wire } = p
              // The phase names what an epoch-less event is (preparing, caching features, scoring ...).
              const progress = { ...wire, phase: detail.phase, done: detail.done ?? null, total: detail.total ?? null }
              status = { ...status, progress }
              emit({ type: 'progress', progress })
            }
          })
          const state = out.status === 'done' ? 'completed' : out.status
          setStatus({ state, runId: out.runId ?? status.runId, error: out.error, exitCode: out.exitCode })
        } catch (e) {
          setStatus({ state: signal.aborted ? 'cancelled' : 'failed', error: (e as Error).message })
        }
      })()
    },
    cancel() {
      if (!controller || !['starting', 'running'].includes(status.state)) return false
      setStatus({ state: 'cancelling' })
      controller.abort()
      return true
    },
    status: () => status,
    subscribe(l) {
      listeners.add(l)
      return () => listeners.delete(l)
    },
    async dispose() {
      controller?.abort()
      await running
      listeners.clear()
    }
  }
}
