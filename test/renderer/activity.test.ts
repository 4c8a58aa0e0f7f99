/** The header's job indicator model: what each running job and the training run say, and their ETA. */
import { describe, expect, it } from 'vitest'
import { jobActivity, trainActivity, trainPhaseText } from '../../src-renderer/src/lib/activity'
import { phaseEta } from '../../src-renderer/src/lib/jobs.svelte'
import type { JobInfo, TrainProgress, TrainStatus } from '../../src-renderer/src/lib/api'

const job = (o: Partial<JobInfo>): JobInfo => ({
  id: 'j1',
  kind: 'import',
  state: 'running',
  phase: 'decoding',
  done: 0,
  total: null,
  message: null,
  startedAt: '2026-12-03T07:00:00.000Z',
  finishedAt: null,
  error: null,
  startedBy: 'alice',
  ...o
})
const progress = (o: Partial<TrainProgress>): TrainProgress => ({
  runId: 1,
  fold: -1,
  epoch: 1,
  epochs: 4,
  step: 2,
  steps: 8,
  loss: { total: 1.2 },
  trainAcc: 0.4,
  valAcc: null,
  imagesPerSec: 10,
  etaSec: 90,
  backend: 'tfjs-node',
  backendReason: 'native',
  at: '',
  ...o
})
const status = (o: Partial<TrainStatus>): TrainStatus => ({
  available: true,
  state: 'running',
  runId: 1,
  jobId: null,
  progress: null,
  error: null,
  exitCode: null,
  startedBy: 'alice',
  ...o
})

describe('job indicator model', () => {
  it('estimates what is left of a phase from the rate since the phase began', () => {
    const start = { phase: 'decoding', at: 0, done: 100 }
    expect(phaseEta({ done: 300, total: 1100 }, start, 10_000)).toBeCloseTo(40) // 200 in 10 s → 800 left in 40 s
    expect(phaseEta({ done: 100, total: 1100 }, start, 10_000)).toBeNull() // no progress yet
    expect(phaseEta({ done: 300, total: null }, start, 10_000)).toBeNull() // unknown total
    expect(phaseEta({ done: 300, total: 1100 }, undefined, 10_000)).toBeNull()
  })

  it('describes a job with its amount and fraction', () => {
    const a = jobActivity(job({ done: 30, total: 120 }), 12)
    expect(a).toMatchObject({ title: 'Import', detail: 'decoding 30 / 120', frac: 0.25, eta: 12 })
    expect(jobActivity(job({ kind: 'export', phase: 'writing' }), null)).toMatchObject({
      title: 'Export',
      detail: 'writing',
      frac: null
    })
  })

  it("names the curator who started a job or a run, when it is not this window's", () => {
    expect(jobActivity(job({}), null, 'alice').title).toBe('Import')
    expect(jobActivity(job({}), null, 'bob').title).toBe('Import (alice)')
    expect(jobActivity(job({ startedBy: null }), null, 'bob').title).toBe('Import')
    expect(trainActivity(status({}), 'bob')!.title).toBe('Training (alice)')
    expect(trainActivity(status({}), 'alice')!.title).toBe('Training')
  })

  it('says "starting" before the first progress, then the epoch and step, never a training that is not there', () => {
    expect(trainActivity(status({ state: 'idle' }))).toBeNull()
    expect(trainActivity(status({ state: 'completed', progress: progress({}) }))).toBeNull()
    expect(trainActivity(status({ state: 'starting' }))).toMatchObject({
      detail: 'starting the engine…',
      frac: null,
      eta: null
    })
    const r = trainActivity(status({ progress: progress({ phase: 'train' }) }))!
    expect(r.detail).toBe('epoch 1/4, step 2 / 8')
    expect(r.frac).toBeCloseTo((0 + 2 / 8) / 4)
    expect(r.eta).toBe(90)
    expect(trainActivity(status({ state: 'cancelling', progress: progress({}) }))).toMatchObject({
      detail: 'cancelling…',
      cancelling: true
    })
  })

  it('names the engine phases in words', () => {
    expect(trainPhaseText(progress({ phase: 'features', done: 5, total: 40 }))).toBe('caching frozen features 5 / 40')
    expect(trainPhaseText(progress({ phase: 'score', done: 1, total: 2 }))).toBe('scoring every image 1 / 2')
    expect(trainPhaseText(progress({ phase: 'validate', fold: 1 }))).toBe('fold 2, validating epoch 1/4')
  })
})
