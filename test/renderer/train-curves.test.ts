import { describe, expect, it } from 'vitest'
import { curves, inEpoch, toTrainConfig, defaultTrainForm } from '../../src-renderer/src/lib/train.svelte'
import type { TrainProgress } from '../../src-main/core/api/contract'

const base: TrainProgress = {
  runId: 1,
  fold: -1,
  epoch: 0,
  epochs: 2,
  step: 0,
  steps: 0,
  loss: { total: 0 },
  trainAcc: null,
  valAcc: null,
  imagesPerSec: null,
  etaSec: null,
  backend: 'wasm',
  backendReason: 'tfjs-node not installed',
  at: '2026-01-01T00:00:00.000Z'
}

describe('training curves', () => {
  it('plots training steps only, not the engine’s other phases (no steps, zero loss)', () => {
    const events: TrainProgress[] = [
      base, // prepare
      { ...base, epoch: 1, step: 1, steps: 2, loss: { total: 2.1 }, trainAcc: 0.2 },
      { ...base, epoch: 1, step: 2, steps: 2, loss: { total: 1.7 }, trainAcc: 0.3 },
      { ...base, epoch: 1, step: 2, steps: 2, loss: { total: 0 }, valAcc: 0.4 }, // validate
      { ...base, epoch: 2, step: 1, steps: 2, loss: { total: 1.2 }, trainAcc: 0.5, valAcc: 0.4 },
      { ...base, epoch: 2, step: 0, steps: 0, loss: { total: 0 }, valAcc: 0.55 } // score
    ]
    expect(events.map(inEpoch)).toEqual([false, true, true, true, true, false])
    const c = curves(events)
    expect(c.loss).toEqual([
      [0.5, 2.1],
      [1, 1.7],
      [1.5, 1.2]
    ])
    expect(c.trainAcc).toEqual([
      [0.5, 0.2],
      [1, 0.3],
      [1.5, 0.5]
    ])
    expect(c.valAcc).toEqual([
      [1, 0.4],
      [2, 0.55]
    ])
  })

  it('validates the form before calling the engine', () => {
    expect(toTrainConfig({ ...defaultTrainForm(), epochs: 0 })).toContain('got 0')
    expect(toTrainConfig({ ...defaultTrainForm(), learningRate: -1 })).toContain('got -1')
    expect(toTrainConfig({ ...defaultTrainForm(), epochs: 3, folds: 5 })).toMatchObject({
      epochs: 3,
      folds: 5,
      model: 'poi',
      inputSize: 48
    })
    // No learning rate, epochs, folds or batch size unless the curator types them: the engine's defaults
    // apply (on native CPU they depend on the project's size).
    const plain = toTrainConfig(defaultTrainForm())
    for (const k of ['learningRate', 'epochs', 'folds', 'batchSize']) expect(plain).not.toHaveProperty(k)
    expect(toTrainConfig({ ...defaultTrainForm(), folds: 0, batchSize: 16 })).toMatchObject({ folds: 0, batchSize: 16 })
    expect(toTrainConfig({ ...defaultTrainForm(), folds: 1 })).toContain('got 1')
    expect(toTrainConfig({ ...defaultTrainForm(), batchSize: 0 })).toContain('got 0')
    expect(toTrainConfig({ ...defaultTrainForm(), learningRate: 0.02 })).toMatchObject({ learningRate: 0.02 })
    // The backbone: 'auto' is left to the engine (and recorded by the run); a choice is sent.
    expect(toTrainConfig(defaultTrainForm())).not.toHaveProperty('backbone')
    expect(toTrainConfig({ ...defaultTrainForm(), backbone: 'slim', inputSize: 64 })).toMatchObject({
      backbone: 'slim',
      inputSize: 64
    })
  })
})
