/**
 * Output shapes for each backbone × stem × input size, the baseline and frozen-extractor variants,
 * and the parameter budget of the spec's ResNet-18 design (§2.6). Forward-only, eval mode, batch 2.
 */
import { beforeAll, describe, expect, it } from 'vitest'
import { tf } from '../../../src-main/core/model/tf'
import {
  createPoiModel,
  disposeOutputs,
  type PoiNetwork,
  type PoiOutputs
} from '../../../src-main/core/model/poi-model'
import { identityFeatures } from '../../../src-main/core/model/backbone'
import { CANONICAL_CLASSES, SEVEN_CLASSES, type ClassName } from '../../../src-main/core/classes'
import { parseModelConfig, type PoiModelConfigInput } from '../../../src-main/core/model/config'
import { useCpu } from './fixtures'

beforeAll(useCpu)

function shapesOf(out: PoiOutputs): Record<string, number[]> {
  const r: Record<string, number[]> = {}
  for (const [k, v] of Object.entries(out)) {
    if (v instanceof tf.Tensor) r[k] = v.shape
    else for (const [kk, vv] of Object.entries(v as Record<string, tf.Tensor>)) r[`${k}.${kk}`] = vv.shape
  }
  return r
}

function expectPoiShapes(out: PoiOutputs, b: number, c: number): void {
  expect(shapesOf(out)).toEqual({
    trnLogits: [b, c],
    trnProbs: [b, c],
    regionLogits: [b, 4, c],
    regionProbs: [b, 4, c],
    gate: [b, 4],
    q: [b, c],
    qT1: [b, c],
    uemUncertainty: [b],
    uemConfidence: [b],
    'auLogits.eye': [b, 2, 6],
    'auLogits.mouth': [b, 2, 7],
    'auProb.eye': [b, 2, 6],
    'auProb.mouth': [b, 2, 7],
    'auImportance.eye': [b, 2, 6],
    'auImportance.mouth': [b, 2, 7]
  })
}

const cases: Array<[string, PoiModelConfigInput, [number, number, number], number]> = [
  [
    'slim 48×48×1 imagenet stem',
    {
      classes: [...SEVEN_CLASSES],
      input: { height: 48, width: 48, channels: 1 },
      extractor: { arch: 'slim', stem: 'imagenet' }
    },
    [3, 3, 128],
    2
  ],
  [
    'slim (widths 8-16-32-64) 48×48×1 stride2 stem',
    {
      classes: [...SEVEN_CLASSES],
      input: { height: 48, width: 48, channels: 1 },
      extractor: { arch: 'slim', stem: 'stride2', widths: [8, 16, 32, 64] }
    },
    [6, 6, 32],
    4
  ],
  [
    'slim 64×64×1 imagenet stem, 8 classes',
    { classes: [...CANONICAL_CLASSES], input: { height: 64, width: 64, channels: 1 }, extractor: { arch: 'slim' } },
    [4, 4, 128],
    3
  ],
  [
    'slim (widths 8-16-32-64) 112×112×3 imagenet stem',
    {
      classes: [...SEVEN_CLASSES],
      input: { height: 112, width: 112, channels: 3 },
      extractor: { arch: 'slim', widths: [8, 16, 32, 64] },
      pin: { auHidden: 64, auReduced: 16 }
    },
    [7, 7, 32],
    5
  ]
]

function checkForward(model: PoiNetwork, cfg: PoiModelConfigInput): void {
  const c = cfg.classes.length
  const x = tf.randomUniform(
    [2, cfg.input.height, cfg.input.width, cfg.input.channels],
    0,
    1,
    'float32',
    1
  ) as tf.Tensor4D
  const out = model.forward(x)
  expectPoiShapes(out, 2, c)
  // Probabilities are probabilities.
  for (const row of out.trnProbs.arraySync()) expect(row.reduce((a, v) => a + v, 0)).toBeCloseTo(1, 5)
  for (const v of out.uemConfidence!.dataSync()) expect(v >= 0 && v <= 1).toBe(true)
  // The deployment path equals the full graph's TRN output.
  const p = model.predictTrn(x)
  const a = p.dataSync()
  out.trnProbs.dataSync().forEach((v, i) => expect(a[i]).toBeCloseTo(v, 6))
  disposeOutputs(out)
  tf.dispose([x, p])
}

describe('forward output shapes', () => {
  it.each(cases)('%s', (_name, cfg, feature, k) => {
    const model = createPoiModel(cfg)
    expect(model.geometry.feature).toEqual(feature)
    expect(model.geometry.cropK).toBe(k)
    checkForward(model, cfg)
    model.dispose()
  })

  it('baseline mode (and noPIN) builds the TRN only', () => {
    for (const over of [{ mode: 'baseline' as const }, { ablation: { noPIN: true } }]) {
      const model = createPoiModel({
        classes: [...SEVEN_CLASSES],
        input: { height: 48, width: 48, channels: 1 },
        extractor: { arch: 'slim', widths: [8, 16, 32, 64] },
        ...over
      })
      expect(model.registry.names().some((n) => n.startsWith('pin.'))).toBe(false)
      const x = tf.zeros([2, 48, 48, 1]) as tf.Tensor4D
      const out = model.forward(x)
      expect(Object.keys(shapesOf(out))).toEqual(['trnLogits', 'trnProbs'])
      disposeOutputs(out)
      x.dispose()
      expect(model.paramCounts().inference).toBe(model.paramCounts().total)
      model.dispose()
    }
  })

  /** Identity over cached 7×7×16 maps, with or without the residual adapter; checks every output shape. */
  function frozenCase(adapter: 'none' | 'residual-conv'): PoiNetwork {
    const model = createPoiModel(
      {
        classes: [...SEVEN_CLASSES],
        input: { height: 7, width: 7, channels: 16 },
        extractor: { kind: 'frozen', name: 'cached', featureShape: [7, 7, 16], headWidth: 12, adapter },
        pin: { auHidden: 8, auReduced: 4 }
      },
      { frozenExtractor: identityFeatures }
    )
    const x = tf.randomNormal([2, 7, 7, 16], 0, 1, 'float32', 5) as tf.Tensor4D
    const out = model.forward(x)
    expectPoiShapes(out, 2, 7)
    disposeOutputs(out)
    x.dispose()
    return model
  }

  it('a frozen extractor (identity over cached 7×7×16 maps) feeds the PIN and a conv TRN stage', () => {
    const model = frozenCase('none')
    expect(model.config.trnStage).toBe('conv')
    expect(model.config.pin.branch).toBe('conv')
    expect(model.geometry.cropK).toBe(5)
    expect(model.registry.names().some((n) => n.startsWith('extractor.'))).toBe(false)
    model.dispose()
  })

  it("the residual adapter adds its weights under 'extractor.adapter.' and keeps every output shape", () => {
    const model = frozenCase('residual-conv')
    const shared = model.registry.names().filter((n) => n.startsWith('extractor.'))
    expect(shared).toContain('extractor.adapter.conv.w')
    expect(shared.every((n) => n.startsWith('extractor.adapter.'))).toBe(true)
    model.dispose()
  })

  it('configs without the adapter field (older checkpoints) read as no adapter', () => {
    const model = createPoiModel(
      {
        classes: [...SEVEN_CLASSES],
        input: { height: 7, width: 7, channels: 16 },
        extractor: { kind: 'frozen', name: 'cached', featureShape: [7, 7, 16] }
      },
      { frozenExtractor: identityFeatures }
    )
    const old = JSON.parse(JSON.stringify(model.config)) as { extractor: Record<string, unknown> }
    delete old.extractor.adapter
    expect(parseModelConfig(old).extractor).not.toHaveProperty('adapter')
    const reread = createPoiModel(parseModelConfig(old), { frozenExtractor: identityFeatures })
    expect(reread.registry.names().some((n) => n.startsWith('extractor.'))).toBe(false)
    reread.dispose()
    model.dispose()
  })

  it('a frozen extractor returning the wrong map shape is reported', () => {
    const bad = (x: tf.Tensor4D): tf.Tensor4D => tf.slice(x, [0, 0, 0, 0], [-1, 6, 7, 16])
    const model = createPoiModel(
      {
        classes: [...SEVEN_CLASSES],
        input: { height: 7, width: 7, channels: 16 },
        extractor: { kind: 'frozen', name: 'bad', featureShape: [7, 7, 16] }
      },
      { frozenExtractor: bad }
    )
    const x = tf.zeros([2, 7, 7, 16]) as tf.Tensor4D
    const before = tf.memory().numTensors
    expect(() => model.forward(x)).toThrow(
      /frozen extractor 'bad' returned shape \[2, 6, 7, 16\], expected \[2, 7, 7, 16\]/
    )
    expect(tf.memory().numTensors).toBe(before)
    x.dispose()
    model.dispose()
    expect(() =>
      createPoiModel({
        classes: [...SEVEN_CLASSES],
        input: { height: 7, width: 7, channels: 16 },
        extractor: { kind: 'frozen', featureShape: [7, 7, 16] }
      })
    ).toThrow(/no frozenExtractor function/)
  })

  it('rejects inputs of the wrong shape or dtype, naming both', () => {
    const model = createPoiModel({
      classes: [...SEVEN_CLASSES],
      input: { height: 48, width: 48, channels: 1 },
      extractor: { arch: 'slim', widths: [4, 8, 8, 8] }
    })
    const x = tf.zeros([2, 48, 48, 3]) as tf.Tensor4D
    expect(() => model.forward(x)).toThrow('model input has shape [2, 48, 48, 3], expected [B, 48, 48, 1]')
    const xi = tf.zeros([2, 48, 48, 1], 'int32') as tf.Tensor4D
    expect(() => model.forward(xi)).toThrow('model input has dtype int32, expected float32')
    tf.dispose([x, xi])
    model.dispose()
  })
})

describe('ResNet-18 (paper widths, spec AU sizes 512/64), C = 8', () => {
  it('48×48×1 forward shapes, and the parameter budget of §2.6: ≈31.8M training graph, ≈11.18M TRN-only', () => {
    const classes: ClassName[] = [...CANONICAL_CLASSES]
    // Parameter counts do not depend on the input size; 48×48 keeps the cpu forward cheap (F 3×3, k = 2).
    const cfg: PoiModelConfigInput = { classes, input: { height: 48, width: 48, channels: 1 } }
    const model = createPoiModel(cfg)
    expect(model.geometry.feature).toEqual([3, 3, 256])
    checkForward(model, cfg)
    // Hand count. conv weights k·k·cin·cout, BN 2·c, FC (in+1)·out.
    const bn = (c: number) => 2 * c
    const block = (cin: number, cout: number, down: boolean) =>
      9 * cin * cout + bn(cout) + 9 * cout * cout + bn(cout) + (down ? cin * cout + bn(cout) : 0)
    const stage = (cin: number, cout: number) => block(cin, cout, cin !== cout) + block(cout, cout, false)
    const shared = 49 * 1 * 64 + bn(64) + stage(64, 64) + stage(64, 128) + stage(128, 256)
    const layer4 = stage(256, 512)
    const auNet = 512 * 512 + 512 + (512 + 1) + (512 * 64 + 64) + (64 + 1)
    const heads = (512 + 1) * 8 + (6 * 64 + 1) * 8 + (7 * 64 + 1) * 8 + (26 * 64 + 1) * 4
    const counts = model.paramCounts()
    expect(counts.total).toBe(shared + 3 * layer4 + 13 * auNet + heads)
    expect(counts.inference).toBe(shared + layer4 + (512 + 1) * 8)
    // The spec's figures are for RGB input; the grey stem has 49·64·2 fewer weights.
    expect((counts.total + 49 * 64 * 2) / 1e6).toBeCloseTo(31.8, 1)
    expect((counts.inference + 49 * 64 * 2) / 1e6).toBeCloseTo(11.18, 2)
    model.dispose()
  })
})
