/**
 * Resource and state handling: tensor counts return to baseline, weights round-trip exactly through
 * get/setWeights, a failed load changes nothing, the SGD update matches its formula, and a resumed
 * optimizer continues exactly where an uninterrupted run would be.
 */
import { beforeAll, describe, expect, it } from 'vitest'
import { tf } from '../../../src-main/core/model/tf'
import { createPoiModel, disposeOutputs, type PoiNetwork, type WeightMap } from '../../../src-main/core/model/poi-model'
import { trainStep } from '../../../src-main/core/model/train-step'
import { createSgd, SgdMomentum, type OptimizerState } from '../../../src-main/core/model/optimizer'
import { ParamRegistry } from '../../../src-main/core/model/params'
import { batchOf, tinyConfig, useCpu } from './fixtures'

beforeAll(useCpu)

function outputsOf(model: PoiNetwork, x: tf.Tensor4D): number[] {
  const out = model.forward(x)
  const vals = Object.values(out).flatMap((v) =>
    v instanceof tf.Tensor
      ? Array.from(v.dataSync())
      : Object.values(v as Record<string, tf.Tensor>).flatMap((t) => Array.from(t.dataSync()))
  )
  disposeOutputs(out)
  return vals
}

function sameWeights(a: WeightMap, b: WeightMap): boolean {
  if (a.size !== b.size) return false
  for (const [n, w] of a) {
    const o = b.get(n)
    if (!o || o.data.length !== w.data.length || w.data.some((v, i) => v !== o.data[i])) return false
  }
  return true
}

describe('tensor bookkeeping', () => {
  it('returns to the baseline count after forward passes, train steps, and get/set of weights and optimizer state', () => {
    const start = tf.memory().numTensors
    const model = createPoiModel(tinyConfig())
    const opt = createSgd(model.config.optimizer, 0.05)
    const { x, y } = batchOf([2, 16, 16, 1], [1, 3])
    trainStep(model, { x, y }, opt) // creates the momentum buffers, which persist
    const base = tf.memory().numTensors
    disposeOutputs(model.forward(x))
    expect(tf.memory().numTensors).toBe(base)
    disposeOutputs(model.forward(x, { training: true }))
    expect(tf.memory().numTensors).toBe(base)
    trainStep(model, { x, y }, opt)
    expect(tf.memory().numTensors).toBe(base)
    model.predictTrn(x).dispose()
    expect(tf.memory().numTensors).toBe(base)
    model.setWeights(model.getWeights())
    opt.setState(opt.getState(), model.registry)
    expect(tf.memory().numTensors).toBe(base)
    opt.dispose()
    model.dispose()
    tf.dispose([x, y])
    expect(tf.memory().numTensors).toBe(start)
  })
})

describe('weights', () => {
  it('round-trip through getWeights/setWeights into a differently seeded model, giving identical outputs', () => {
    const a = createPoiModel(tinyConfig({ seed: 1 }))
    const b = createPoiModel(tinyConfig({ seed: 2 }))
    const opt = createSgd(a.config.optimizer, 0.05)
    const { x, y } = batchOf([2, 16, 16, 1], [0, 5])
    trainStep(a, { x, y }, opt) // moves weights and BN statistics away from their initial values
    expect(outputsOf(b, x)).not.toEqual(outputsOf(a, x))
    const w = a.getWeights()
    expect([...w.keys()]).toEqual(a.registry.names())
    expect(w.get('trn.stage.0.bn1.var')!.data.some((v) => v !== 1)).toBe(true)
    b.setWeights(w)
    expect(outputsOf(b, x)).toEqual(outputsOf(a, x))
    expect(sameWeights(b.getWeights(), w)).toBe(true)
    opt.dispose()
    tf.dispose([x, y])
    a.dispose()
    b.dispose()
  })

  it('refuses missing, unknown and mis-shaped weights without changing anything', () => {
    const m = createPoiModel(tinyConfig())
    const good = m.getWeights()
    const missing = new Map(good)
    missing.delete('trn.fc.b')
    expect(() => m.setWeights(missing)).toThrow('weights missing for: trn.fc.b')
    const unknown = new Map(good).set('pin.nope.w', { shape: [1], data: new Float32Array(1) })
    expect(() => m.setWeights(unknown)).toThrow('weights for unknown variables: pin.nope.w')
    const shaped = new Map(good)
    // A valid entry first, so a half-applied load would show up below.
    shaped.set('extractor.stem.conv.w', {
      ...good.get('extractor.stem.conv.w')!,
      data: new Float32Array(good.get('extractor.stem.conv.w')!.data.length).fill(3)
    })
    shaped.set('trn.fc.w', { shape: [7, 8], data: new Float32Array(56) })
    expect(() => m.setWeights(shaped)).toThrow("weight 'trn.fc.w' has shape [7, 8], the model expects [8, 7]")
    expect(sameWeights(m.getWeights(), good)).toBe(true)
    // 'subset' loads a part (e.g. a pretrained extractor) and leaves the rest.
    const base = createPoiModel(tinyConfig({ mode: 'baseline', seed: 5 }))
    const part: WeightMap = new Map([...base.getWeights()].filter(([n]) => n.startsWith('extractor.')))
    m.setWeights(part, { mode: 'subset' })
    const after = m.getWeights()
    expect(sameWeights(new Map([...after].filter(([n]) => n.startsWith('extractor.'))), part)).toBe(true)
    expect(after.get('trn.fc.w')!.data).toEqual(good.get('trn.fc.w')!.data)
    base.dispose()
    m.dispose()
  })
})

describe('SGD with momentum and weight decay', () => {
  function twoSteps(mode: 'l2' | 'decoupled'): number[] {
    const reg = new ParamRegistry(0)
    reg.weight('p', [2], () => tf.tensor1d([1, -2]))
    const opt = new SgdMomentum({ lr: 0.1, momentum: 0.9, weightDecay: 0.01, weightDecayMode: mode })
    for (let i = 0; i < 2; i++) {
      const g = tf.tensor1d([0.5, 0.5])
      opt.apply(new Map([['p', g]]), reg)
      g.dispose()
    }
    const v = Array.from(reg.get('p').dataSync())
    opt.dispose()
    reg.dispose()
    return v
  }

  it('matches the torch.optim.SGD formula (L2 in the gradient) and the decoupled SGDW formula', () => {
    const [lr, mu, wd, g] = [0.1, 0.9, 0.01, 0.5]
    for (const [mode, theta0] of [
      ['l2', 1],
      ['l2', -2],
      ['decoupled', 1],
      ['decoupled', -2]
    ] as const) {
      let theta: number = theta0
      let v = 0
      for (let s = 0; s < 2; s++) {
        if (mode === 'l2') {
          v = mu * v + (g + wd * theta)
          theta = theta - lr * v
        } else {
          v = mu * v + g
          theta = theta - lr * v - lr * wd * theta
        }
      }
      expect(twoSteps(mode)[theta0 === 1 ? 0 : 1]).toBeCloseTo(theta, 6)
    }
    expect(twoSteps('l2')[0]).not.toBeCloseTo(twoSteps('decoupled')[0], 5)
  })

  it('a resumed optimizer gives the same next-step losses and weights as an uninterrupted run', () => {
    const batches = [
      batchOf([2, 16, 16, 1], [0, 1], 11),
      batchOf([2, 16, 16, 1], [2, 3], 12),
      batchOf([2, 16, 16, 1], [4, 6], 13)
    ]
    const a = createPoiModel(tinyConfig({ seed: 3 }))
    const optA = createSgd(a.config.optimizer, 0.05)
    trainStep(a, batches[0], optA)
    const snapW = a.getWeights()
    const snapO: OptimizerState = optA.getState()
    expect(snapO.step).toBe(1)
    expect(snapO.slots.size).toBe(a.trainableNames().length)
    const l2 = trainStep(a, batches[1], optA)
    const l3 = trainStep(a, batches[2], optA)

    const b = createPoiModel(tinyConfig({ seed: 99 }))
    b.setWeights(snapW)
    const optB = createSgd(b.config.optimizer, 0.5) // lr comes back from the state
    optB.setState(snapO, b.registry)
    expect(optB.lr).toBe(0.05)
    expect(trainStep(b, batches[1], optB)).toEqual(l2)
    expect(trainStep(b, batches[2], optB)).toEqual(l3)
    expect(sameWeights(b.getWeights(), a.getWeights())).toBe(true)
    expect(optB.step).toBe(3)

    // Control: the same weights with a fresh optimizer (no momentum) diverge by the third step.
    const c = createPoiModel(tinyConfig({ seed: 99 }))
    c.setWeights(snapW)
    const optC = createSgd(c.config.optimizer, 0.05)
    expect(trainStep(c, batches[1], optC)).toEqual(l2) // same weights → same loss before any update
    expect(trainStep(c, batches[2], optC).total).not.toBe(l3.total)

    for (const o of [optA, optB, optC]) o.dispose()
    for (const m of [a, b, c]) m.dispose()
    tf.dispose(batches.flatMap((bb) => [bb.x, bb.y]))
  })

  it('refuses state of another format, version, hyper-parameters or parameter shapes', () => {
    const m = createPoiModel(tinyConfig())
    const opt = createSgd(m.config.optimizer, 0.1)
    const st = opt.getState()
    expect(() => opt.setState({ ...st, format: 'x' } as unknown as OptimizerState, m.registry)).toThrow(/format 'x'/)
    expect(() => opt.setState({ ...st, version: 2 } as unknown as OptimizerState, m.registry)).toThrow(
      /version 2 is not supported/
    )
    expect(() => opt.setState({ ...st, momentum: 0.5 }, m.registry)).toThrow(
      'optimizer state has momentum 0.5, this optimizer uses 0.9'
    )
    const bad = { ...st, slots: new Map([['trn.fc.b', { shape: [3], data: new Float32Array(3) }]]) }
    expect(() => opt.setState(bad, m.registry)).toThrow(
      "optimizer buffer 'trn.fc.b' has shape [3], the parameter has [7]"
    )
    const unk = { ...st, slots: new Map([['nope', { shape: [3], data: new Float32Array(3) }]]) }
    expect(() => opt.setState(unk, m.registry)).toThrow("unknown parameter 'nope'")
    expect(() => createSgd(m.config.optimizer, Number.NaN)).toThrow(/lr must be a finite number/)
    opt.dispose()
    m.dispose()
  })
})
