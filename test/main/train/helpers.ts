/**
 * Fixtures for the training and scoring tests: real project files made from the synthetic face
 * generator through the real importer (pixel cache built at import), and tiny training configs.
 */
import { copyFileSync, mkdtempSync, rmSync } from 'node:fs'
import { tmpdir } from 'node:os'
import { join } from 'node:path'
import { importDataset } from '../../../src-main/core/dataset/index'
import { createProject } from '../../../src-main/core/project'
import { generateDataset, loadGroundTruth, type GroundTruth } from '../../../src-main/core/synth/index'
import type { TrainConfigInput } from '../../../src-main/core/run/config'
import type { ClassName } from '../../../src-main/core/classes'

export interface SynthProject {
  dir: string
  /** The pristine project; tests copy it with `fresh()` so each gets its own file and runs. */
  projectPath: string
  gt: GroundTruth
  fresh(name: string): string
  cleanup(): void
}

export async function makeSynthProject(o: {
  n: number
  size: number
  seed?: number
  noise?: number
  jitter?: number
  classes?: ClassName[]
}): Promise<SynthProject> {
  const dir = mkdtempSync(join(tmpdir(), 'poi-train-'))
  const ds = await generateDataset({
    outDir: join(dir, 'data'),
    n: o.n,
    size: o.size,
    seed: o.seed ?? 1,
    noiseRate: o.noise ?? 0.2,
    jitter: o.jitter,
    classes: o.classes
  })
  const projectPath = join(dir, 'base.poi')
  const p = createProject(projectPath, { inputSize: o.size, channels: 1 })
  try {
    await importDataset(p, ds.labelsCsv, { format: 'csv' })
  } finally {
    p.close()
  }
  return {
    dir,
    projectPath,
    gt: await loadGroundTruth(ds.groundTruth),
    fresh(name) {
      const f = join(dir, `${name}.poi`)
      copyFileSync(projectPath, f)
      return f
    },
    cleanup: () => rmSync(dir, { recursive: true, force: true })
  }
}

/** The smallest trainable setup: slim CIFAR-stem ResNet 4-8-8-8 (one block per stage), narrow PIN. */
export function tinyTrainConfig(over: TrainConfigInput = {}): TrainConfigInput {
  return {
    backbone: 'slim',
    stem: 'stride2',
    widths: [4, 8, 8, 8],
    blocks: [1, 1, 1, 1],
    epochs: 2,
    batchSize: 8,
    lr: 0.05,
    checkpointMinutes: 0,
    model: { pin: { auHidden: 8, auReduced: 4 } },
    ...over
  }
}
