import { describe, expect, it } from 'vitest'
import { modelFromFlags } from '../../../src-main/cli/model-flags'
import { configFromFlags } from '../../../src-main/cli/commands/train'
import { resolveTrainConfig } from '../../../src-main/core/run/config'
import { modelConfigFor } from '../../../src-main/core/run/model-config'

describe('ablation and loss flags', () => {
  it('each Table III / X ablation is one flag and reaches the model config', () => {
    const cfg = configFromFlags({
      backbone: 'vgg',
      ablation: 'no-gate,no-kl,no-or',
      loss: 'lambdaGate=1,lambda1=0.25',
      uem: 'mi'
    })
    const m = modelConfigFor(resolveTrainConfig(cfg, { inputSize: 48, channels: 1 }), [
      'neutral',
      'happiness',
      'sadness'
    ])
    expect(m.ablation).toEqual({ noPIN: false, noGate: true, noUEM: false })
    expect(m.loss).toMatchObject({ lambdaKl: 0, lambdaOr: 0, lambdaGate: 1, lambda1: 0.25, lambda2: 0.5, lambda3: 1 })
    expect(m.uem).toBe('mi')
    expect(modelFromFlags({ ablation: 'no-uem' }).ablation).toEqual({ noUEM: true })
    expect(modelFromFlags({ ablation: 'no-gate-loss,no-au' }).loss).toEqual({ lambdaGate: 0, lambda1: 0 })
  })

  it('names the bad flag and value', () => {
    expect(() => modelFromFlags({ ablation: 'no-gates' })).toThrow(/--ablation: unknown "no-gates"/)
    expect(() => modelFromFlags({ loss: 'lambdaKl=-1' })).toThrow(/--loss: "lambdaKl=-1"/)
    expect(() => modelFromFlags({ loss: 'lambda9=1' })).toThrow(/--loss: "lambda9=1"/)
    expect(() => modelFromFlags({ uem: 'softmax' })).toThrow(/--uem must be/)
  })
})
