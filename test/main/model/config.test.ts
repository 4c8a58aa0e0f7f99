/**
 * Configuration: the spec defaults, validation errors that name the option and value, the λ2 < λ3
 * warning, describeConfig's list of RECONSTRUCTED choices, and the JSON round trip. Plus the layer
 * toolkit's own contracts (batch-norm maths and running statistics, max-pool padding, stop-gradient,
 * registry naming and freezing).
 */
import { beforeAll, describe, expect, it } from 'vitest'
import { tf } from '../../../src-main/core/model/tf'
import { MODEL_CONFIG_FORMAT, parseModelConfig, resolveConfig } from '../../../src-main/core/model/config'
import { configWarnings, describeConfig, formatConfigDescription } from '../../../src-main/core/model/describe'
import { applyBnUpdates, batchNorm, maxPool3s2, newCtx, stopGradient } from '../../../src-main/core/model/layers'
import { ParamRegistry } from '../../../src-main/core/model/params'
import { createPoiModel } from '../../../src-main/core/model/poi-model'
import { SEVEN_CLASSES } from '../../../src-main/core/classes'
import { tinyConfig, useCpu } from './fixtures'

beforeAll(useCpu)

const base = { classes: [...SEVEN_CLASSES], input: { height: 64, width: 64, channels: 1 } }

describe('model config', () => {
  it('defaults to the spec recommendations', () => {
    const c = resolveConfig(base)
    expect(c.format).toBe(MODEL_CONFIG_FORMAT)
    expect(c.extractor).toEqual({
      kind: 'resnet',
      arch: 'resnet18',
      stem: 'imagenet',
      widths: [64, 128, 256, 512],
      blocks: [2, 2, 2, 2]
    })
    expect(c.pin).toEqual({
      cropK: 'auto',
      branch: 'layer4',
      branchStride: 1,
      auHidden: 512,
      auReduced: 64,
      importance: 'scalar',
      gate: 'fc-zero'
    })
    expect(c.temperature).toBe(3)
    expect(c.uem).toBe('entropy')
    expect(c.loss).toEqual({
      lambda1: 0.5,
      lambda2: 0.5,
      lambda3: 1,
      auEpsilon: 0.1,
      auSmoothing: 'symmetric',
      auMaskAU14: false,
      klT2: true,
      klVariant: 'poi',
      normaliseOmega: false,
      lambdaKl: 1,
      lambdaOr: 1,
      lambdaGate: 1
    })
    expect(c.bn).toEqual({ momentum: 0.1, eps: 1e-5 })
    expect(c.optimizer).toEqual({ momentum: 0.9, weightDecay: 1e-4, weightDecayMode: 'l2' })
    expect(resolveConfig({ ...base, extractor: { arch: 'slim' } }).extractor).toMatchObject({
      widths: [32, 64, 128, 256]
    })
  })

  it('survives a JSON round trip and is checked on read', () => {
    const c = resolveConfig({ ...base, extractor: { arch: 'slim', stem: 'stride2' }, pin: { cropK: 4 } })
    expect(parseModelConfig(JSON.parse(JSON.stringify(c)))).toEqual(c)
    expect(() => parseModelConfig({ ...c, version: 2 })).toThrow(
      'model config version 2 is not supported (this build reads version 1)'
    )
    expect(() => parseModelConfig({ ...c, format: 'other' })).toThrow(/format/)
    expect(() => parseModelConfig({ ...c, extra: 1 })).toThrow(/extra/)
  })

  it('names the option and the bad value', () => {
    expect(() => resolveConfig({ ...base, classes: ['neutral', 'joy' as never] })).toThrow(/classes\.1: .*"joy"/)
    expect(() => resolveConfig({ ...base, classes: ['neutral', 'neutral'] })).toThrow(/duplicate/)
    expect(() => resolveConfig({ ...base, temperature: 0 })).toThrow(/temperature: .*\(got 0\)/)
    expect(() => resolveConfig({ ...base, loss: { auEpsilon: 0.7 } })).toThrow(/loss\.auEpsilon/)
    expect(() => resolveConfig({ ...base, pin: { branchStride: 3 as never } })).toThrow(/pin\.branchStride/)
    expect(() => resolveConfig({ ...base, input: { height: 16, width: 16, channels: 1 } })).toThrow(
      /input 16×16 gives a 1×1 feature map; corner crops need at least 2×2/
    )
    expect(() => resolveConfig({ ...base, extractor: { kind: 'frozen', name: 'f' } })).toThrow(
      /extractor\.featureShape/
    )
  })

  it('warns when λ2 ≥ λ3 or k/H leaves the tested range', () => {
    expect(configWarnings(resolveConfig(base))).toEqual([])
    const w = configWarnings(resolveConfig({ ...base, loss: { lambda2: 1, lambda3: 1 } }))
    expect(w).toHaveLength(1)
    expect(w[0]).toMatch(/λ2 \(1\) ≥ λ3 \(1\)/)
    expect(configWarnings(resolveConfig({ ...base, pin: { cropK: 4 } }))[0]).toMatch(/k\/H = 1\.00/)
    expect(configWarnings(resolveConfig({ ...base, mode: 'baseline', loss: { lambda2: 2 } }))).toEqual([])
  })

  it('describeConfig lists every RECONSTRUCTED choice with the value in use', () => {
    const d = describeConfig(resolveConfig(base))
    const rec = d.filter((c) => c.status === 'RECONSTRUCTED').map((c) => c.key)
    expect(rec).toEqual([
      'crop-level',
      'crop-k',
      'mirror',
      'branch-stage',
      'au-widths',
      'au-importance',
      'emotion-fc',
      'gate',
      'q',
      'kl-t2',
      'stop-gradient',
      'uem',
      'omega',
      'lambdas',
      'au-smoothing',
      'au-normalisation',
      'au14',
      'neutral'
    ])
    expect(d.find((c) => c.key === 'crop-k')!.value).toMatch(/k = 3 on a 4×4 map \(k\/H = 0\.75/)
    const alt = describeConfig(
      resolveConfig({
        ...base,
        uem: 'mi',
        pin: { gate: 'one', branch: 'conv' },
        loss: { klVariant: 'one', normaliseOmega: true },
        ablation: { noUEM: true }
      })
    )
    const val = (k: string) => alt.find((c) => c.key === k)!.value
    expect(val('uem')).toMatch(/mutual information/)
    expect(val('gate')).toMatch(/ONE-style/)
    expect(val('branch-stage')).toMatch(/one 3×3 conv/)
    expect(val('stop-gradient')).toMatch(/ONE variant/)
    expect(val('omega')).toMatch(/noUEM/)
    expect(formatConfigDescription(resolveConfig({ ...base, mode: 'baseline' }))).toMatch(/\[STATED-P\] mode: baseline/)
  })

  it('the model exposes the warnings of its configuration', () => {
    const m = createPoiModel(tinyConfig({ loss: { lambda2: 2 } }))
    expect(m.warnings[0]).toMatch(/λ2 \(2\) ≥ λ3/)
    m.dispose()
  })
})

describe('layer toolkit', () => {
  it('batch norm: batch statistics in train mode, PyTorch running update (unbiased var), running stats in eval', () => {
    const reg = new ParamRegistry(0)
    const bn = batchNorm(reg, 'bn', 2, { momentum: 0.1, eps: 1e-5 })
    const xs = [
      [1, 10],
      [2, 20],
      [3, 30],
      [6, 0]
    ]
    const x = tf.tensor4d(xs.flat(), [4, 1, 1, 2])
    const ctx = newCtx(true)
    const y = bn.apply(x, ctx).dataSync()
    for (let c = 0; c < 2; c++) {
      const col = xs.map((r) => r[c])
      const mean = col.reduce((a, b) => a + b) / 4
      const varB = col.reduce((a, v) => a + (v - mean) ** 2, 0) / 4
      col.forEach((v, i) => expect(y[i * 2 + c]).toBeCloseTo((v - mean) / Math.sqrt(varB + 1e-5), 4))
    }
    expect(ctx.bnUpdates).toHaveLength(2)
    applyBnUpdates(ctx)
    const m = Array.from(bn.runMean.dataSync())
    const v = Array.from(bn.runVar.dataSync())
    expect(m[0]).toBeCloseTo(0.1 * 3, 5)
    expect(m[1]).toBeCloseTo(0.1 * 15, 5)
    expect(v[0]).toBeCloseTo(0.9 + 0.1 * (14 / 3), 5) // unbiased var of 1,2,3,6 = 14/3
    expect(v[1]).toBeCloseTo(0.9 + 0.1 * (500 / 3), 4)
    const e = bn.apply(x, newCtx(false)).dataSync()
    expect(e[0]).toBeCloseTo((1 - m[0]) / Math.sqrt(v[0] + 1e-5), 4)
    tf.dispose([x])
    reg.dispose()
  })

  it('max-pool pads with −∞ (PyTorch), not zeros', () => {
    const x = tf.fill([1, 4, 4, 1], -1) as tf.Tensor4D
    const y = maxPool3s2(x)
    expect(y.shape).toEqual([1, 2, 2, 1])
    expect(Array.from(y.dataSync())).toEqual([-1, -1, -1, -1])
    tf.dispose([x, y])
  })

  it('stopGradient passes values and blocks gradients', () => {
    const g = tf.tidy(() => {
      const x = tf.tensor1d([1, 2, 3])
      const f = (t: tf.Tensor) => tf.sum(tf.add(tf.mul(t, 2), tf.square(stopGradient(t))))
      return { v: f(x).dataSync()[0], g: Array.from(tf.grad(f)(x).dataSync()) }
    })
    expect(g.v).toBe(2 * 6 + 14)
    expect(g.g).toEqual([2, 2, 2])
  })

  it('registry: unique stable names, seeded init independent of creation order, freezing by prefix', () => {
    const a = new ParamRegistry(4)
    const b = new ParamRegistry(4)
    const he = (n: number) => (shape: number[], seed: number) =>
      tf.randomNormal(shape, 0, Math.sqrt(2 / n), 'float32', seed)
    a.weight('x.w', [3], he(3))
    a.weight('y.w', [3], he(3))
    b.weight('y.w', [3], he(3))
    b.weight('x.w', [3], he(3))
    expect(a.get('x.w').dataSync()).toEqual(b.get('x.w').dataSync())
    expect(() => a.weight('x.w', [3], he(3))).toThrow("parameter name 'x.w' is registered twice")
    expect(a.setTrainable('x.', false)).toBe(1)
    expect(a.trainable().map((e) => e.name)).toEqual(['y.w'])
    expect(() => a.setTrainable('z.', false)).toThrow("no weights match the prefix 'z.'")
    a.dispose()
    b.dispose()
  })
})
