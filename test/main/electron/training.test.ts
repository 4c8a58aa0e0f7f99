import { afterAll, beforeAll, describe, expect, it } from 'vitest'
import { EventEmitter } from 'node:events'
import { utilityWorkerSpawner, type UtilityForker } from '../../../src-main/electron/training'
import { createTrainingHost } from '../../../src-main/core/api/training-host'
import { TRAIN_WORKER_PROTOCOL } from '../../../src-main/core/train/protocol'
import type { TrainHostEvent, TrainingHost } from '../../../src-main/core/api/engines'
import { openProject, type Project } from '../../../src-main/core/project'
import { tempDir } from '../../helpers/tmp'
import { makeProjectFile } from '../api/fixture'

/** A utilityProcess stand-in: records posted messages; the test plays the worker. */
class FakeChild extends EventEmitter {
  posted: unknown[] = []
  killed = 0
  postMessage(m: unknown): void {
    this.posted.push(structuredClone(m))
  }
  kill(): boolean {
    this.killed++
    setImmediate(() => this.emit('exit', 143))
    return true
  }
}

let cleanup: () => void
let p: Project
let children: FakeChild[]
const forker: UtilityForker = {
  fork: (modulePath, _args, options) => {
    expect(modulePath).toBe('/app/out/main/train-worker.js')
    expect(options?.serviceName).toBe('POI Audit training')
    const c = new FakeChild()
    children.push(c)
    return c as never
  }
}

const tick = (ms = 5) => new Promise((r) => setTimeout(r, ms))
async function until(cond: () => boolean): Promise<void> {
  for (let i = 0; i < 400 && !cond(); i++) await tick()
  expect(cond()).toBe(true)
}

function host(): { h: TrainingHost; states: string[] } {
  const h = createTrainingHost({
    resolveDb: () => p.db,
    spawn: utilityWorkerSpawner(forker, '/app/out/main/train-worker.js'),
    graceMs: 50
  })
  const states: string[] = []
  h.subscribe((e: TrainHostEvent) => e.type === 'state' && states.push(e.status.state))
  return { h, states }
}

beforeAll(async () => {
  const t = tempDir('poi-train-host-')
  cleanup = t.cleanup
  const f = await makeProjectFile(t.dir, 0)
  p = openProject(f.file)
})
afterAll(() => {
  p.close()
  cleanup()
})

describe('training in a utilityProcess (fake fork, real host)', () => {
  it('starts after ready, streams progress, completes', async () => {
    children = []
    const { h, states } = host()
    const progress: unknown[] = []
    h.subscribe((e) => e.type === 'progress' && progress.push(e.progress))
    h.start({ projectPath: p.path, config: { epochs: 1 } })
    await until(() => children.length === 1)
    const c = children[0]
    c.emit('message', { type: 'ready', protocol: TRAIN_WORKER_PROTOCOL })
    await until(() => c.posted.length === 1)
    expect(c.posted[0]).toMatchObject({
      type: 'start',
      protocol: TRAIN_WORKER_PROTOCOL,
      projectPath: p.path,
      apiConfig: { epochs: 1 }
    })
    c.emit('message', { type: 'started', runId: 7 })
    const wire = {
      runId: 7,
      fold: -1,
      epoch: 1,
      epochs: 1,
      step: 3,
      steps: 10,
      loss: { total: 1.5 },
      trainAcc: 0.4,
      valAcc: null,
      imagesPerSec: 900,
      etaSec: 2,
      backend: 'cpu',
      backendReason: 'test',
      at: 'now',
      detail: {}
    }
    c.emit('message', { type: 'progress', progress: wire })
    c.emit('message', { type: 'done', runId: 7, result: {} })
    await until(() => h.status().state === 'completed')
    expect(states).toEqual(['starting', 'running', 'completed'])
    expect(progress).toHaveLength(1)
    expect(progress[0]).not.toHaveProperty('detail')
    expect(h.status()).toMatchObject({ runId: 7, error: null })
    expect(c.killed).toBe(1) // the host ends the process after the terminal message
    await h.dispose()
  })

  it('reports a crash (exit without a terminal message) as crashed with the exit code', async () => {
    children = []
    const { h } = host()
    h.start({ projectPath: p.path, config: {} })
    await until(() => children.length === 1)
    children[0].emit('message', { type: 'ready', protocol: TRAIN_WORKER_PROTOCOL })
    children[0].emit('exit', 139)
    await until(() => h.status().state === 'crashed')
    expect(h.status().exitCode).toBe(139)
    await h.dispose()
  })

  it('cancels cooperatively, then kills after the grace period', async () => {
    children = []
    const { h, states } = host()
    h.start({ projectPath: p.path, config: {} })
    await until(() => children.length === 1)
    const c = children[0]
    c.emit('message', { type: 'ready', protocol: TRAIN_WORKER_PROTOCOL })
    c.emit('message', { type: 'started', runId: 9 })
    await until(() => h.status().state === 'running')
    expect(h.cancel()).toBe(true)
    expect(c.posted.at(-1)).toEqual({ type: 'cancel' })
    await until(() => h.status().state === 'cancelled')
    expect(c.killed).toBeGreaterThanOrEqual(1)
    expect(states).toEqual(['starting', 'running', 'cancelling', 'cancelled'])
    expect(h.cancel()).toBe(false)
    await h.dispose()
  })

  it('refuses a worker of another protocol version', async () => {
    children = []
    const { h } = host()
    h.start({ projectPath: p.path, config: {} })
    await until(() => children.length === 1)
    children[0].emit('message', { type: 'ready', protocol: TRAIN_WORKER_PROTOCOL + 1 })
    await until(() => h.status().state === 'failed')
    expect(h.status().error).toContain('protocol')
    await h.dispose()
  })
})
