/**
 * Acceptance on generated faces (issue 3): 8 classes, 20 % of the training labels flipped, fixed seeds.
 * POI trains in CI time and then
 *  - the TRN reaches ≥ 90 % accuracy on the TRUE labels of images it never trained on,
 *  - the AU occurrence heads reach AUROC ≥ 0.8 against the AUs the generator drew, and, because that
 *    pooled figure is high for a head that only knows the class (the generator draws each Table-I AU
 *    with the same 0.9 the AU nets learn as pseudolabels), AUROC WITHIN each true class (dropped prior
 *    AUs and distractors) ≥ AU_WITHIN_CLASS_MIN, where a class-only head scores 0.5
 *    (evaluate/au-truth.ts; au-truth.test.ts plants such a head and shows it fails this bar),
 *  - flipped training labels get lower soft-label agreement than clean ones (AUROC ≥ 0.9),
 * and the tensor count is back at its baseline after training and scoring.
 *
 * The recipe (ACCEPTANCE_RECIPE) and its measured wall time are in docs/compute-defaults.md.
 */
import { cpus, loadavg } from 'node:os'
import { afterAll, beforeAll, describe, expect, it } from 'vitest'
import { initCompute } from '../../../src-main/core/compute/backend'
import { tf } from '../../../src-main/core/compute/tf'
import { evaluateAgainstTruth } from '../../../src-main/core/evaluate/truth'
import { openProject } from '../../../src-main/core/project'
import { train } from '../../../src-main/core/train/train'
import { slimFast, type TrainConfigInput } from '../../../src-main/core/run/config'
import { makeSynthProject, type SynthProject } from './helpers'
import { AU_WITHIN_CLASS_MIN } from '../evaluate/au-threshold'

/**
 * Dataset and training recipe of this test (seeded). Pose/lighting/noise jitter is halved (generator
 * option `jitter`) so that a dozen epochs on 2 cores suffice; docs/compute-defaults.md has the runs at
 * full jitter too.
 */
export const ACCEPTANCE_DATA = { n: 3600, size: 64, seed: 7, noise: 0.2, jitter: 0.5 }
export const ACCEPTANCE_RECIPE: TrainConfigInput = {
  ...slimFast(),
  mode: 'poi',
  epochs: 12,
  batchSize: 64,
  lr: 0.2,
  schedule: { milestones: [0.75], gamma: 0.1 },
  augment: { flip: true, translate: 0, brightness: 0.1, contrast: 0.1 },
  checkpointMinutes: 0,
  seed: 1
}

/**
 * Time limits, in ms. Measured on an unloaded share of this 2-core machine: 351 s of training and 28 s to
 * generate and import (docs/compute-defaults.md); 1,037 s of training at load 12–19. A loaded machine
 * gives this test about cores/load of the CPU, so the limits (there to catch a hang, not to time the run)
 * grow with the 1-minute load average when the file starts: 2.5× the unloaded figures, times
 * max(1, load / cores), at most 3 h.
 */
const LOAD_FACTOR = Math.max(1, loadavg()[0] / cpus().length)
const limit = (unloadedSeconds: number): number =>
  Math.min(3 * 3600_000, Math.round(2.5 * unloadedSeconds * 1000 * LOAD_FACTOR))
export const ACCEPTANCE_LIMITS = { setupMs: limit(120), trainMs: limit(360) }

let fx: SynthProject

beforeAll(async () => {
  await initCompute({ backend: 'wasm' })
  fx = await makeSynthProject(ACCEPTANCE_DATA)
}, ACCEPTANCE_LIMITS.setupMs)
afterAll(() => fx?.cleanup())

describe('POI on synthetic faces with 20 % flipped labels', () => {
  it(
    'learns the true classes, the AUs, and exposes the flipped labels',
    async () => {
      const path = fx.fresh('accept')
      const base = tf.memory().numTensors
      const t0 = performance.now()
      const r = await train({ projectPath: path, config: ACCEPTANCE_RECIPE })
      const seconds = (performance.now() - t0) / 1000
      expect(r.status).toBe('done')
      expect(tf.memory().numTensors).toBe(base)
      const p = openProject(path, { readonly: true })
      try {
        const e = evaluateAgainstTruth(p.db, r.runId, fx.gt)
        // Shown in the test log: the numbers behind the assertions.
        console.log(
          `acceptance: ${seconds.toFixed(0)} s (limit ${(ACCEPTANCE_LIMITS.trainMs / 1000).toFixed(0)} s at load factor ` +
            `${LOAD_FACTOR.toFixed(1)}); TRN acc (true labels, ${e.heldOut} held-out) ${(e.trnAccuracy * 100).toFixed(1)}%, ` +
            `AU AUROC ${e.auAurocMean?.toFixed(3)} (within class ${e.auAurocWithinClassMean?.toFixed(3)}: ${JSON.stringify(e.auAurocWithinClass)}), flip AUROC ${e.flipAurocSoft.toFixed(3)} (${e.flipped}/${e.train} flipped)`
        )
        expect(e.heldOut).toBeGreaterThanOrEqual(700)
        expect(e.trnAccuracy).toBeGreaterThanOrEqual(0.9)
        expect(e.auAurocMean!).toBeGreaterThanOrEqual(0.8)
        expect(e.auAurocWithinClassMean!).toBeGreaterThanOrEqual(AU_WITHIN_CLASS_MIN)
        expect(e.flipAurocSoft).toBeGreaterThanOrEqual(0.9)
      } finally {
        p.close()
      }
    },
    ACCEPTANCE_LIMITS.trainMs
  )
})
