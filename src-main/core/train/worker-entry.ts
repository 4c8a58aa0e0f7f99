/**
 * The training worker: runs one `train()` job off the host's main thread and exits. Works as
 *  - a worker_threads Worker (CLI and `poi-audit serve`: worker-host.ts),
 *  - an Electron utilityProcess child (messages on `process.parentPort`, payload in `event.data`),
 *  - a forked child process (`process.send`).
 * Protocol: protocol.ts. The project is opened read-only here; writes go to the host as `store`
 * requests. Progress is throttled to ~10 messages/s (phase changes and epoch ends always pass).
 */
import { parentPort } from 'node:worker_threads'
import { fromApiConfig } from '../run/api-config'
import { TRAIN_WORKER_PROTOCOL, toWireProgress, type HostMessage, type StartJob, type WorkerMessage } from './protocol'
import { remoteRunStore } from '../run/store'
import { train, type TrainProgressEvent } from './train'

interface Port {
  post(m: WorkerMessage): void
  onMessage(fn: (m: HostMessage) => void): void
  close(): void
}

interface ElectronParentPort {
  postMessage(m: unknown): void
  on(ev: 'message', fn: (e: { data: unknown }) => void): void
}

function connect(): Port | null {
  if (parentPort) {
    const p = parentPort
    // The host terminates the thread once it has the terminal message (closing here could drop it).
    return { post: (m) => p.postMessage(m), onMessage: (fn) => p.on('message', fn), close: () => undefined }
  }
  const ep = (process as unknown as { parentPort?: ElectronParentPort }).parentPort
  if (ep)
    return {
      post: (m) => ep.postMessage(m),
      onMessage: (fn) => ep.on('message', (e) => fn(e.data as HostMessage)),
      close: () => undefined
    }
  if (process.send) {
    const send = process.send.bind(process)
    return {
      post: (m) => void send(m),
      onMessage: (fn) => process.on('message', (m) => fn(m as HostMessage)),
      close: () => process.disconnect?.()
    }
  }
  return null
}

/** Runs the job of one `start` message; resolves when a terminal message has been posted. */
async function runJob(
  port: Port,
  job: StartJob,
  controller: AbortController,
  store: ReturnType<typeof remoteRunStore>
): Promise<void> {
  let started = false
  let lastSent = 0
  let lastPhase = ''
  let lastRunId: number | null = null
  const progress = (e: TrainProgressEvent): void => {
    lastRunId = e.runId
    if (!started && e.runId != null) {
      started = true
      port.post({ type: 'started', runId: e.runId })
    }
    const now = Date.now()
    const boundary = e.phase !== lastPhase || (e.phase === 'train' && e.step === e.steps) || e.phase === 'done'
    if (!boundary && now - lastSent < 100) return
    lastSent = now
    lastPhase = e.phase
    port.post({ type: 'progress', progress: toWireProgress(e) })
  }
  try {
    const mapped = job.apiConfig ? fromApiConfig(job.apiConfig) : null
    const result = await train({
      projectPath: job.projectPath,
      config: mapped ? mapped.config : job.config,
      resumeFrom: job.resumeFrom,
      name: job.name,
      parentRunId: job.parentRunId,
      runsDir: job.runsDir,
      compute: { backend: job.compute?.backend ?? mapped?.backend ?? 'auto', threads: job.compute?.threads },
      store: store.store,
      signal: controller.signal,
      progress
    })
    if (result.status === 'cancelled') port.post({ type: 'cancelled', runId: result.runId, result })
    else port.post({ type: 'done', runId: result.runId, result })
  } catch (e) {
    if (controller.signal.aborted) port.post({ type: 'cancelled', runId: lastRunId, result: null })
    else
      port.post({
        type: 'failed',
        message: String((e as Error)?.message ?? e).slice(0, 4000),
        code: (e as { code?: string })?.code
      })
  }
}

function main(): void {
  const port = connect()
  if (!port) {
    process.stderr.write('poi-audit training worker: no parent port (start it through the training host)\n')
    process.exitCode = 2
    return
  }
  const controller = new AbortController()
  const store = remoteRunStore((id, op) => port.post({ type: 'store', id, op }))
  let running = false
  port.onMessage((m) => {
    if (m.type === 'cancel') controller.abort(new Error('training cancelled'))
    else if (m.type === 'store-result') store.resolve(m.id, m.ok, m.value)
    else if (m.type === 'start') {
      if (m.protocol !== TRAIN_WORKER_PROTOCOL) {
        port.post({
          type: 'failed',
          message: `training worker speaks protocol ${TRAIN_WORKER_PROTOCOL}, the host sent ${m.protocol}`
        })
        return
      }
      if (running) {
        port.post({ type: 'failed', message: 'this worker is already running a job' })
        return
      }
      running = true
      void runJob(port, m, controller, store).finally(() => port.close())
    }
  })
  port.post({ type: 'ready', protocol: TRAIN_WORKER_PROTOCOL })
}

main()
