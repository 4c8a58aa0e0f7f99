/**
 * The training engine on a real (small) synthetic project: records and checkpoints, exact resume,
 * cancellation, checkpoint version checks, k-fold out-of-sample scoring, rescoring, tensor
 * bookkeeping, and the worker-thread host with its store protocol.
 */
import { readFileSync, writeFileSync, existsSync } from 'node:fs'
import { join } from 'node:path'
import { afterAll, beforeAll, describe, expect, it } from 'vitest'
import { initCompute } from '../../../src-main/core/compute/backend'
import { tf } from '../../../src-main/core/compute/tf'
import { openProject } from '../../../src-main/core/project'
import { getRun, listEpochs, readPredictions } from '../../../src-main/core/store/runs'
import { AU_VECTOR_LENGTH } from '../../../src-main/core/model/prediction-layout'
import { CheckpointError, loadCheckpoint } from '../../../src-main/core/run/checkpoint'
import { loadDataset, planFolds } from '../../../src-main/core/data/dataset'
import { runTrainingWorker, spawnProcessWorker } from '../../../src-main/core/train/worker-host'
import { createTrainingHost } from '../../../src-main/core/api/training-host'
import { train, type TrainProgressEvent } from '../../../src-main/core/train/train'
import { scoreRun } from '../../../src-main/core/score/score'
import { makeSynthProject, tinyTrainConfig, type SynthProject } from './helpers'

let fx: SynthProject

beforeAll(async () => {
  await initCompute({ backend: 'wasm' })
  fx = await makeSynthProject({ n: 48, size: 24, seed: 4 })
})
afterAll(() => fx?.cleanup())

/** Loss of each step in order: the running mean at step 1 of an epoch is that step's own loss. */
function firstStepLosses(events: TrainProgressEvent[]): Map<number, number> {
  const m = new Map<number, number>()
  for (const e of events) if (e.phase === 'train' && e.step === 1) m.set(e.epoch, e.lossTerms.total!)
  return m
}

describe('train()', () => {
  it('records the run, its epochs, checkpoints and every image’s POI outputs, and frees its tensors', async () => {
    const path = fx.fresh('basic')
    const base = tf.memory().numTensors
    const events: TrainProgressEvent[] = []
    const r = await train({ projectPath: path, config: tinyTrainConfig(), progress: (e) => events.push(e) })
    expect(tf.memory().numTensors).toBe(base)
    expect(r.status).toBe('done')
    const train1 = events.find((e) => e.phase === 'train')!
    expect(train1).toMatchObject({ runId: r.runId, fold: -1, epochs: 2, backend: expect.stringContaining('wasm') })
    expect(train1.lossTerms).toHaveProperty('au')
    expect(train1.backendReason.length).toBeGreaterThan(10)
    expect(events.at(-1)!.phase).toBe('done')
    const p = openProject(path, { readonly: true })
    try {
      const run = getRun(p.db, r.runId)!
      expect(run).toMatchObject({ kind: 'poi', status: 'done', checkpoint: r.checkpoint })
      expect((run.config as { train: { seed: number } }).train.seed).toBe(1)
      const epochs = listEpochs(p.db, r.runId)
      expect(epochs.map((e) => e.epoch)).toEqual([1, 2])
      expect(epochs[0].metrics).toMatchObject({ fold: -1, images: expect.any(Number), valAcc: expect.any(Number) })
      const preds = readPredictions(p.db, r.runId)
      const ids = loadDataset(p.db, 8).images.map((i) => i.imageId)
      expect(preds.map((q) => q.imageId)).toEqual(ids)
      const q = preds[0]
      expect(q.fold).toBeNull()
      expect(q.trnProbs.length).toBe(8)
      expect(q.regionProbs!.length).toBe(32)
      expect(q.gate!.length).toBe(4)
      expect(q.auProb!.length).toBe(AU_VECTOR_LENGTH)
      expect(q.auImportance!.length).toBe(AU_VECTOR_LENGTH)
      expect(q.uemConfidence).toBeGreaterThanOrEqual(0)
      expect(q.trnProbs.reduce((a, b) => a + b, 0)).toBeCloseTo(1, 4)
      expect(q.oimSoft!.reduce((a, b) => a + b, 0)).toBeCloseTo(1, 4)
    } finally {
      p.close()
    }
    const ck = await loadCheckpoint(r.checkpoint!)
    expect(ck.manifest.position).toEqual({ fold: -1, epoch: 2, step: 0 })
    expect(ck.optimizer.step).toBe(ck.manifest.optimizer.step)
  })

  it('resumes from a checkpoint with the same next-step loss as an uninterrupted run', async () => {
    const cfg = tinyTrainConfig({ epochs: 3, scoreAfter: false })
    const full: TrainProgressEvent[] = []
    await train({ projectPath: fx.fresh('full'), config: cfg, progress: (e) => full.push(e) })
    const path = fx.fresh('resumed')
    const ac = new AbortController()
    const first = await train({
      projectPath: path,
      config: cfg,
      signal: ac.signal,
      progress: (e) => {
        if (e.phase === 'validate' && e.epoch === 1) ac.abort()
      }
    })
    expect(first.status).toBe('cancelled')
    expect(first.checkpoint).toMatch(/ckpt-0001$/)
    const base = tf.memory().numTensors
    const rest: TrainProgressEvent[] = []
    const second = await train({ projectPath: path, resumeFrom: first.runId, progress: (e) => rest.push(e) })
    expect(tf.memory().numTensors).toBe(base)
    expect(second).toMatchObject({ status: 'done', runId: first.runId })
    const a = firstStepLosses(full)
    const b = firstStepLosses(rest)
    expect(b.has(1)).toBe(false)
    expect(b.get(2)).toBe(a.get(2))
    expect(b.get(3)).toBe(a.get(3))
    const p = openProject(path, { readonly: true })
    try {
      expect(listEpochs(p.db, first.runId).map((e) => e.epoch)).toEqual([1, 2, 3])
    } finally {
      p.close()
    }
  })

  it('stops within 2 s of a cancel and leaves a loadable checkpoint', async () => {
    const ac = new AbortController()
    let abortedAt = 0
    const r = await train({
      projectPath: fx.fresh('cancel'),
      config: tinyTrainConfig({ epochs: 50, widths: [8, 16, 16, 16] }),
      signal: ac.signal,
      progress: (e) => {
        if (e.phase === 'train' && e.epoch === 2 && e.step === 2 && !abortedAt) {
          abortedAt = performance.now()
          ac.abort()
        }
      }
    })
    const stoppedIn = (performance.now() - abortedAt) / 1000
    expect(r.status).toBe('cancelled')
    expect(stoppedIn).toBeLessThan(2)
    const ck = await loadCheckpoint(r.checkpoint!)
    expect(ck.manifest.position.epoch).toBe(1)
    expect(ck.weights.size).toBeGreaterThan(10)
  })

  it('refuses a checkpoint of another version, a damaged one, and a resume of a finished run, with clear errors', async () => {
    const path = fx.fresh('versions')
    const r = await train({ projectPath: path, config: tinyTrainConfig({ epochs: 1, scoreAfter: false }) })
    const manifest = join(r.checkpoint!, 'manifest.json')
    const m = JSON.parse(readFileSync(manifest, 'utf8'))
    writeFileSync(manifest, JSON.stringify({ ...m, version: 2 }))
    await expect(loadCheckpoint(r.checkpoint!)).rejects.toThrow(CheckpointError)
    await expect(loadCheckpoint(r.checkpoint!)).rejects.toThrow(/has version 2; this build reads version 1/)
    writeFileSync(manifest, JSON.stringify(m))
    const bin = join(r.checkpoint!, 'weights.bin')
    const bytes = readFileSync(bin)
    bytes[10] ^= 0xff
    writeFileSync(bin, bytes)
    await expect(loadCheckpoint(r.checkpoint!)).rejects.toThrow(/weights.bin is damaged/)
    await expect(train({ projectPath: path, resumeFrom: r.runId })).rejects.toThrow(/already finished/)
  })
})

describe('k-fold and rescoring', () => {
  it('scores each image only with the fold model that did not train on it', async () => {
    const path = fx.fresh('kfold')
    const base = tf.memory().numTensors
    const r = await train({ projectPath: path, config: tinyTrainConfig({ epochs: 1, kfold: 3 }) })
    expect(tf.memory().numTensors).toBe(base)
    const p = openProject(path, { readonly: true })
    try {
      const ds = loadDataset(p.db, 8)
      const plan = planFolds(ds, 3, 1)
      const preds = readPredictions(p.db, r.runId)
      expect(preds.length).toBe(ds.images.length)
      for (const q of preds) {
        expect(q.fold).toBe(plan.foldOf.get(q.imageId))
        expect(plan.train[q.fold!]).not.toContain(q.imageId)
      }
      expect(new Set(preds.map((q) => q.fold))).toEqual(new Set([0, 1, 2]))
      expect(getRun(p.db, r.runId)!.kind).toBe('poi-kfold')
      expect(new Set(listEpochs(p.db, r.runId).map((e) => e.fold))).toEqual(new Set([0, 1, 2]))
    } finally {
      p.close()
    }
    for (const f of [0, 1, 2])
      expect(existsSync(join(path + '.runs', `run-${r.runId}`, `fold-${f}`, 'ckpt-0001', 'manifest.json'))).toBe(true)
  })

  it('rescoring a run in-training reproduces its predictions and frees its tensors', async () => {
    const path = fx.fresh('rescore')
    const r = await train({ projectPath: path, config: tinyTrainConfig({ epochs: 1 }) })
    const p = openProject(path)
    try {
      const before = readPredictions(p.db, r.runId)
      const base = tf.memory().numTensors
      const s = await scoreRun({ db: p.db, runId: r.runId })
      expect(tf.memory().numTensors).toBe(base)
      expect(s).toMatchObject({ mode: 'in-training', status: 'done', scored: before.length })
      const after = readPredictions(p.db, r.runId)
      for (let i = 0; i < before.length; i++) {
        expect(Array.from(after[i].trnProbs)).toEqual(Array.from(before[i].trnProbs))
        expect(Array.from(after[i].auProb!)).toEqual(Array.from(before[i].auProb!))
      }
    } finally {
      p.close()
    }
  })
})

describe('worker thread host', () => {
  it('runs a job off the main thread; the host writes the records the worker sends', async () => {
    const path = fx.fresh('worker')
    const p = openProject(path)
    try {
      const phases = new Set<string>()
      let started: number | null = null
      const out = await runTrainingWorker(
        { projectPath: path, config: tinyTrainConfig({ epochs: 1 }), compute: { backend: 'wasm' } },
        { db: p.db, onStarted: (id) => (started = id), onProgress: (w) => phases.add(w.detail.phase) }
      )
      expect(out).toMatchObject({ status: 'done', error: null })
      expect(started).toBe(out.runId)
      expect(phases).toContain('train')
      expect(phases).toContain('score')
      expect(getRun(p.db, out.runId!)!.status).toBe('done')
      expect(readPredictions(p.db, out.runId!).length).toBeGreaterThan(0)
    } finally {
      p.close()
    }
  })

  it('runs the same protocol in a separate process (the shape of an Electron utility process)', async () => {
    const path = fx.fresh('process')
    const p = openProject(path)
    try {
      const out = await runTrainingWorker(
        { projectPath: path, config: tinyTrainConfig({ epochs: 1, scoreAfter: false }), compute: { backend: 'wasm' } },
        { db: p.db, spawn: spawnProcessWorker }
      )
      expect(out).toMatchObject({ status: 'done', error: null })
      expect(getRun(p.db, out.runId!)!.status).toBe('done')
    } finally {
      p.close()
    }
  })

  it("adapts to the app API's TrainingHost: states, throttled progress, the app's TrainConfig", async () => {
    const path = fx.fresh('api-host')
    const p = openProject(path)
    try {
      const host = createTrainingHost({ resolveDb: () => p.db })
      const states: string[] = []
      let progress = 0
      const done = new Promise<void>((resolve) =>
        host.subscribe((e) => {
          if (e.type === 'progress') progress++
          else {
            states.push(e.status.state)
            if (['completed', 'failed', 'crashed', 'cancelled'].includes(e.status.state)) resolve()
          }
        })
      )
      host.start({ projectPath: path, config: { model: 'ce', epochs: 1, batchSize: 8, backend: 'wasm' } })
      expect(() => host.start({ projectPath: path, config: {} })).toThrow(/in progress/)
      await done
      const st = host.status()
      expect(st, st.error ?? '').toMatchObject({ state: 'completed', error: null })
      expect(states[0]).toBe('starting')
      expect(states).toContain('running')
      expect(progress).toBeGreaterThan(0)
      expect(st.progress).toMatchObject({ runId: st.runId, epochs: 1, backend: expect.stringContaining('wasm') })
      expect(getRun(p.db, st.runId!)).toMatchObject({ kind: 'ce', status: 'done' })
      await host.dispose()
    } finally {
      p.close()
    }
  })

  it("retrains from a run through the app's host (fromRunId): its config and parent kept through cancel and resume", async () => {
    const path = fx.fresh('from-run')
    const p = openProject(path)
    try {
      const a = await train({
        db: p.db,
        projectPath: path,
        config: tinyTrainConfig({ epochs: 1, seed: 3 }),
        compute: { backend: 'wasm' }
      })
      const host = createTrainingHost({ resolveDb: () => p.db })
      const finish = (): Promise<void> =>
        new Promise<void>((resolve) => {
          const off = host.subscribe((e) => {
            if (e.type === 'progress' && e.progress.phase === 'train' && e.progress.epoch === 2) host.cancel()
            if (e.type === 'state' && ['completed', 'failed', 'crashed', 'cancelled'].includes(e.status.state)) {
              off()
              resolve()
            }
          })
        })
      // The app's form fields override single options of run A's configuration (here: the epochs).
      let ended = finish()
      host.start({ projectPath: path, config: { epochs: 5, backend: 'wasm' }, fromRunId: a.runId })
      await ended
      const st = host.status()
      expect(st, st.error ?? '').toMatchObject({ state: 'cancelled' })
      const cfg = (id: number): { train: Record<string, unknown>; parentRunId?: number } =>
        getRun(p.db, id)!.config as never
      expect(cfg(st.runId!).parentRunId).toBe(a.runId)
      expect(cfg(st.runId!).train).toEqual({ ...cfg(a.runId).train, epochs: 5 })
      ended = new Promise<void>((resolve) =>
        host.subscribe(
          (e) => e.type === 'state' && ['completed', 'failed', 'crashed'].includes(e.status.state) && resolve()
        )
      )
      host.start({ projectPath: path, config: {}, resumeRunId: st.runId! })
      await ended
      expect(host.status(), host.status().error ?? '').toMatchObject({ state: 'completed', runId: st.runId })
      expect(getRun(p.db, st.runId!)).toMatchObject({ status: 'done', config: { parentRunId: a.runId } })
      expect(() => host.start({ projectPath: path, config: {}, fromRunId: 99 })).toThrow(/no run 99/)
      await host.dispose()
    } finally {
      p.close()
    }
  })

  it('cancels a worker job: the run ends cancelled and keeps its checkpoint', async () => {
    const path = fx.fresh('worker-cancel')
    const p = openProject(path)
    try {
      const ac = new AbortController()
      const out = await runTrainingWorker(
        { projectPath: path, config: tinyTrainConfig({ epochs: 40 }), compute: { backend: 'wasm' } },
        {
          db: p.db,
          signal: ac.signal,
          onProgress: (w) => w.detail.phase === 'train' && w.detail.epoch === 2 && ac.abort()
        }
      )
      expect(out.status).toBe('cancelled')
      const run = getRun(p.db, out.runId!)!
      expect(run.status).toBe('cancelled')
      expect(run.checkpoint).toMatch(/ckpt-0001$/)
    } finally {
      p.close()
    }
  })
})
