/**
 * The app API's TrainingHost (api/engines.ts) over training workers (train/worker-host.ts): one run
 * at a time, the pixel cache built on the host's connection first, worker progress turned into
 * TrainStatus events. It lives in api/ because it speaks the API contract; train/ never imports api/.
 */
import type { TrainConfig as ApiTrainConfigT, TrainStatus } from './contract'
import type { TrainHostEvent, TrainingHost, TrainStartRequest } from './engines'
import type { DB } from '../store/db'
import type { StartJob } from '../train/protocol'
import { ensureJobCache, runTrainingWorker, type WorkerLink } from '../train/worker-host'
import { fromApiConfig } from '../run/api-config'
import { fromRunJob } from '../run/run'
import { getRun } from '../store/runs'
import { ProjectError } from '../store/errors'

/**
 * The worker job of a request: the app's config as is, or (fromRunId) that run's config with the app's fields on
 * top.
 */
function jobFor(db: DB, req: TrainStartRequest): StartJob {
  const base: StartJob = {
    projectPath: req.projectPath,
    apiConfig: req.config as ApiTrainConfigT,
    resumeFrom: req.resumeRunId
  }
  if (req.fromRunId == null) return base
  const parent = getRun(db, req.fromRunId)
  if (!parent) throw new ProjectError('NOT_FOUND', `no run ${req.fromRunId} to retrain from`)
  const mapped = fromApiConfig(req.config as ApiTrainConfigT)
  const r = fromRunJob(parent, mapped.config)
  return {
    projectPath: req.projectPath,
    config: r.config,
    name: r.name,
    parentRunId: r.parentRunId,
    compute: { backend: mapped.backend }
  }
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
  let status: TrainStatus = {
    available: true,
    state: 'idle',
    runId: null,
    jobId: null,
    progress: null,
    error: null,
    exitCode: null,
    startedBy: null
  }
  let controller: AbortController | null = null
  let running: Promise<void> | null = null
  const emit = (e: TrainHostEvent): void => listeners.forEach((l) => l(e))
  const setStatus = (s: Partial<TrainStatus>): void => {
    status = { ...status, ...s }
    emit({ type: 'state', status })
  }
  return {
    start(req: TrainStartRequest) {
      if (status.state === 'starting' || status.state === 'running' || status.state === 'cancelling')
        throw new Error('a training run is in progress')
      const db = opts.resolveDb(req.projectPath)
      controller = new AbortController()
      const signal = controller.signal
      const job = jobFor(db, req)
      setStatus({
        state: 'starting',
        runId: req.resumeRunId ?? null,
        progress: null,
        error: null,
        exitCode: null,
        startedBy: req.startedBy ?? null
      })
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
