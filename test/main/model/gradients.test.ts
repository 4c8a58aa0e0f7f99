/**
 * Gradient wiring: every trainable variable of extractor, PIN (branches, AU nets), OIM gate and TRN
 * receives a non-zero gradient from the total loss; frozen variables receive none and do not move;
 * variants (ONE gate, vector importance, noGate, baseline, frozen extractor) are wired as documented.
 */
import { beforeAll, describe, expect, it } from 'vitest'
import { tf } from '../../../src-main/core/model/tf'
import { createPoiModel, type PoiNetwork } from '../../../src-main/core/model/poi-model'
import { computeGradients, trainStep } from '../../../src-main/core/model/train-step'
import { createSgd } from '../../../src-main/core/model/optimizer'
import { identityFeatures } from '../../../src-main/core/model/backbone'
import { SEVEN_CLASSES } from '../../../src-main/core/classes'
import { batchOf, tinyConfig, useCpu } from './fixtures'

beforeAll(useCpu)

/** Gradient L2 norm per trainable variable name. */
function gradNorms(model: PoiNetwork, x: tf.Tensor4D, y: tf.Tensor1D): Map<string, number> {
  const { loss, grads } = computeGradients(model, { x, y })
  expect(Number.isFinite(loss.total)).toBe(true)
  const norms = new Map<string, number>()
  for (const [n, g] of grads)
    norms.set(
      n,
      tf.tidy(() => tf.norm(g).dataSync()[0])
    )
  tf.dispose([...grads.values()])
  return norms
}

function expectAllReached(model: PoiNetwork, norms: Map<string, number>): void {
  const trainable = model.trainableNames()
  const missing = trainable.filter((n) => !(norms.get(n)! > 0))
  expect(missing).toEqual([])
  expect([...norms.keys()].sort()).toEqual([...trainable].sort())
}

describe('gradients of the total loss', () => {
  it('reach every trainable variable of extractor, PIN, AU nets, gate and TRN (non-zero norm)', () => {
    const model = createPoiModel(tinyConfig())
    const { x, y } = batchOf([4, 16, 16, 1], [0, 1, 4, 6])
    const norms = gradNorms(model, x, y)
    expectAllReached(model, norms)
    const groups = [
      'extractor.stem',
      'extractor.layer3',
      'pin.eye.stage',
      'pin.mouth.stage',
      'pin.eye.au.fc1',
      'pin.eye.au.fc2',
      'pin.mouth.au.fc4',
      'pin.eye.emo',
      'pin.mouth.emo',
      'pin.gate.fc.w',
      'pin.gate.fc.b',
      'trn.stage',
      'trn.fc'
    ]
    for (const g of groups) expect([...norms.keys()].some((n) => n.startsWith(g))).toBe(true)
    // BN running statistics are state, never gradient targets.
    expect([...norms.keys()].some((n) => n.endsWith('.mean') || n.endsWith('.var'))).toBe(false)
    tf.dispose([x, y])
    model.dispose()
  })

  it('ONE-style gate + vector importance + ONE KL variant: still every trainable variable, incl. the gate BN', () => {
    const model = createPoiModel(
      tinyConfig({ pin: { auHidden: 8, auReduced: 4, gate: 'one', importance: 'vector' }, loss: { klVariant: 'one' } })
    )
    expect(model.registry.has('pin.gate.bn.gamma')).toBe(true)
    const { x, y } = batchOf([4, 16, 16, 1], [0, 1, 2, 3])
    expectAllReached(model, gradNorms(model, x, y))
    tf.dispose([x, y])
    model.dispose()
  })

  it('none reach frozen variables, and a train step leaves them (and their BN statistics) unchanged', () => {
    const model = createPoiModel(tinyConfig())
    const frozen = model.freeze('extractor.')
    expect(frozen).toBeGreaterThan(10)
    const { x, y } = batchOf([4, 16, 16, 1], [0, 1, 4, 6])
    const norms = gradNorms(model, x, y)
    expect([...norms.keys()].filter((n) => n.startsWith('extractor.'))).toEqual([])
    expectAllReached(model, norms)
    const before = model.getWeights()
    const opt = createSgd(model.config.optimizer, 0.1)
    trainStep(model, { x, y }, opt)
    const after = model.getWeights()
    for (const [name, w] of before) {
      const same = w.data.every((v, i) => v === after.get(name)!.data[i])
      if (name.startsWith('extractor.')) expect(same, name).toBe(true)
    }
    // Something else did move (weights of the heads and the heads' BN statistics).
    expect(before.get('trn.fc.w')!.data.some((v, i) => v !== after.get('trn.fc.w')!.data[i])).toBe(true)
    expect(
      before.get('trn.stage.0.bn1.mean')!.data.some((v, i) => v !== after.get('trn.stage.0.bn1.mean')!.data[i])
    ).toBe(true)
    opt.dispose()
    tf.dispose([x, y])
    model.dispose()
  })

  it('noGate: no gate variables, g ≡ 1/4, the rest still trained', () => {
    const model = createPoiModel(tinyConfig({ ablation: { noGate: true } }))
    expect(model.registry.names().some((n) => n.startsWith('pin.gate'))).toBe(false)
    const { x, y } = batchOf([2, 16, 16, 1], [2, 5])
    expectAllReached(model, gradNorms(model, x, y))
    const out = model.forward(x)
    expect(Array.from(out.gate!.dataSync())).toEqual(new Array(8).fill(0.25))
    tf.dispose(out as unknown as tf.TensorContainer)
    tf.dispose([x, y])
    model.dispose()
  })

  it('baseline: only extractor and TRN variables, trained by CE alone', () => {
    const model = createPoiModel(tinyConfig({ mode: 'baseline' }))
    const { x, y } = batchOf([2, 16, 16, 1], [2, 5])
    const { loss, grads } = computeGradients(model, { x, y })
    expect(Object.keys(loss).sort()).toEqual(['ceTrn', 'total'])
    expect(loss.total).toBe(loss.ceTrn)
    expect([...grads.keys()].every((n) => n.startsWith('extractor.') || n.startsWith('trn.'))).toBe(true)
    tf.dispose([...grads.values(), x, y])
    model.dispose()
  })

  it('frozen extractor kind: no extractor variables; PIN and TRN heads get gradients', () => {
    const model = createPoiModel(
      {
        classes: [...SEVEN_CLASSES],
        input: { height: 5, width: 5, channels: 8 },
        extractor: { kind: 'frozen', name: 'cached', featureShape: [5, 5, 8], headWidth: 8 },
        pin: { auHidden: 8, auReduced: 4 }
      },
      { frozenExtractor: identityFeatures }
    )
    const x = tf.randomNormal([4, 5, 5, 8], 0, 1, 'float32', 2) as tf.Tensor4D
    const y = tf.tensor1d([0, 1, 2, 3], 'int32')
    const norms = gradNorms(model, x, y)
    expectAllReached(model, norms)
    expect([...norms.keys()].every((n) => n.startsWith('pin.') || n.startsWith('trn.'))).toBe(true)
    tf.dispose([x, y])
    model.dispose()
  })
})

describe('the shared adapter on a frozen extractor (model.extractor.adapter)', () => {
  const cfg = (mode: 'poi' | 'baseline') =>
    createPoiModel(
      {
        classes: [...SEVEN_CLASSES],
        mode,
        input: { height: 5, width: 5, channels: 8 },
        extractor: { kind: 'frozen', name: 'cached', featureShape: [5, 5, 8], headWidth: 8, adapter: 'residual-conv' },
        pin: { auHidden: 8, auReduced: 4 }
      },
      { frozenExtractor: identityFeatures }
    )

  it('is trained by the PIN losses as well as the TRN: the PIN alone moves the shared weights', () => {
    const model = cfg('poi')
    const shared = model.registry.names().filter((n) => n.startsWith('extractor.'))
    expect(shared).toContain('extractor.adapter.conv.w')
    expect(shared.every((n) => n.startsWith('extractor.adapter.'))).toBe(true)
    const x = tf.randomNormal([4, 5, 5, 8], 0, 1, 'float32', 3) as tf.Tensor4D
    const y = tf.tensor1d([0, 1, 2, 3], 'int32')
    const norms = gradNorms(model, x, y)
    expectAllReached(model, norms)
    expect([...norms.keys()].filter((n) => n.startsWith('extractor.adapter.')).length).toBeGreaterThanOrEqual(3)
    // With the TRN's weight at zero in the total loss, the adapter still gets a gradient: from the PIN.
    const pinOnly = createPoiModel(
      { ...model.config, loss: { ...model.config.loss, lambda3: 0 } },
      { frozenExtractor: identityFeatures }
    )
    const { grads } = computeGradients(pinOnly, { x, y })
    const g = grads.get('extractor.adapter.conv.w')!
    expect(tf.tidy(() => tf.norm(g).dataSync()[0])).toBeGreaterThan(0)
    tf.dispose([...grads.values(), x, y])
    pinOnly.dispose()
    model.dispose()
  })

  it('is part of the CE baseline too (same backbone for the comparison)', () => {
    const model = cfg('baseline')
    expect(model.registry.has('extractor.adapter.conv.w')).toBe(true)
    const x = tf.randomNormal([2, 5, 5, 8], 0, 1, 'float32', 4) as tf.Tensor4D
    const y = tf.tensor1d([2, 5], 'int32')
    expectAllReached(model, gradNorms(model, x, y))
    tf.dispose([x, y])
    model.dispose()
  })
})

describe('batch checks', () => {
  it('name the bad label, its index and the valid range; refuse batches of 1', () => {
    const model = createPoiModel(tinyConfig())
    const x = tf.zeros([2, 16, 16, 1]) as tf.Tensor4D
    const bad = tf.tensor1d([0, 7], 'int32')
    expect(() => computeGradients(model, { x, y: bad })).toThrow('label 7 at batch index 1 is outside 0..6')
    const f = tf.tensor1d([0, 1], 'float32')
    expect(() => computeGradients(model, { x, y: f })).toThrow('labels have dtype float32, expected int32')
    const x1 = tf.zeros([1, 16, 16, 1]) as tf.Tensor4D
    const y1 = tf.tensor1d([0], 'int32')
    expect(() => computeGradients(model, { x: x1, y: y1 })).toThrow(/at least 2 images/)
    const ac = new AbortController()
    ac.abort()
    const opt = createSgd(model.config.optimizer, 0.1)
    const y = tf.tensor1d([0, 1], 'int32')
    expect(() => trainStep(model, { x, y }, opt, { signal: ac.signal })).toThrow()
    expect(opt.step).toBe(0)
    tf.dispose([x, bad, f, x1, y1, y])
    model.dispose()
  })
})
