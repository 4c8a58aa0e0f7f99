/**
 * `poi-audit train`, `score` and `demo` as functions with captured output: what they print, their exit
 * codes, and their usage errors.
 */
import { mkdtempSync, rmSync } from 'node:fs'
import { tmpdir } from 'node:os'
import { join } from 'node:path'
import { afterAll, beforeAll, describe, expect, it } from 'vitest'
import { trainCommand, configFromFlags } from '../../../src-main/cli/commands/train'
import { Command } from 'commander'
import { registerScore } from '../../../src-main/cli/commands/score'
import { DEFAULT_KFOLD, kfoldOption } from '../../../src-main/cli/kfold-option'
import { scoreCommand } from '../../../src-main/cli/commands/score'
import { demoCommand } from '../../../src-main/cli/commands/demo'
import type { CliIo } from '../../../src-main/cli/ui/io'
import { openProject } from '../../../src-main/core/project'
import { listRuns, predictionCounts } from '../../../src-main/core/store/runs'
import { makeSynthProject, type SynthProject } from './helpers'

function captureIo(): CliIo & { stdout: string; stderr: string } {
  const io = {
    stdout: '',
    stderr: '',
    out: (s: string) => void (io.stdout += s),
    err: (s: string) => void (io.stderr += s)
  }
  return io
}

let fx: SynthProject
beforeAll(async () => {
  fx = await makeSynthProject({ n: 40, size: 24, seed: 2 })
})
afterAll(() => fx?.cleanup())

describe('poi-audit train / score', () => {
  it('trains (in a worker thread), prints the backend line and the run summary, then scores on request', async () => {
    const path = fx.fresh('cli')
    const io = captureIo()
    const code = await trainCommand(path, { epochs: 1, batch: 8, backend: 'wasm', seed: 5 }, io)
    expect(code, io.stderr).toBe(0)
    expect(io.stderr).toMatch(/^backend wasm \(SIMD/m)
    expect(io.stderr).toMatch(/epoch 1\/1 step \d+\/\d+ \| loss [\d.]+ \| acc/)
    expect(io.stdout).toMatch(/Run 1 finished/)
    expect(io.stdout).toMatch(/40 images scored/)
    expect(io.stdout).toMatch(/next: poi-audit audit .* --run 1/)
    const io2 = captureIo()
    expect(await scoreCommand(path, { run: 1, backend: 'wasm' }, io2)).toBe(0)
    expect(io2.stdout).toMatch(/Scored 40 image\(s\) with run 1/)
    const p = openProject(path, { readonly: true })
    try {
      expect(listRuns(p.db)[0]).toMatchObject({ id: 1, status: 'done', kind: 'poi' })
      expect(predictionCounts(p.db, 1)).toEqual({ total: 40, outOfSample: 0 })
    } finally {
      p.close()
    }
  })

  it('rejects bad options with exit code 2 and a message naming the option', async () => {
    const io = captureIo()
    expect(await trainCommand(fx.projectPath, { backbone: 'vgg19' }, io)).toBe(2)
    expect(io.stderr).toMatch(/--backbone must be one of slim, resnet18, .*vgg.*got "vgg19"/)
    expect(await trainCommand(fx.projectPath, { resume: 1, epochs: 3 }, io)).toBe(2)
    expect(io.stderr).toMatch(/--resume continues a run with its own configuration/)
    expect(await trainCommand(fx.projectPath, { backend: 'gpu' }, io)).toBe(2)
    expect(await scoreCommand(fx.projectPath, {}, io)).toBe(2)
    expect(io.stderr).toMatch(/--run ID is required/)
    expect(await scoreCommand(fx.projectPath, { run: 99 }, io)).toBe(3)
    expect(io.stderr).toMatch(/no run 99/)
    expect(configFromFlags({ mode: 'ce', kfold: 4, score: false })).toEqual({ mode: 'ce', kfold: 4, scoreAfter: false })
    expect(configFromFlags({ adapter: 'residual-conv' })).toEqual({
      model: { extractor: { adapter: 'residual-conv' } }
    })
    expect(await trainCommand(fx.projectPath, { adapter: 'conv' }, io)).toBe(2)
    expect(io.stderr).toMatch(/--adapter must be none or residual-conv; got "conv"/)
    expect(await trainCommand(fx.projectPath, { adapter: 'residual-conv', backbone: 'slim', epochs: 1 }, io)).toBe(2)
    expect(io.stderr).toMatch(
      /--adapter residual-conv applies only to frozen backbones \(faceapi-…\); --backbone slim trains its own extractor/
    )
  })
})

describe('--kfold', () => {
  const parse = (args: string[]): unknown =>
    new Command()
      .exitOverride()
      .configureOutput({ writeErr: () => {} })
      .addOption(kfoldOption('k models'))
      .parse(args, { from: 'user' })
      .opts().kfold

  it('alone means 5 folds; a number is checked; absent means one model', () => {
    expect(DEFAULT_KFOLD).toBe(5)
    expect(parse(['--kfold'])).toBe(5)
    expect(parse(['--kfold', '3'])).toBe(3)
    expect(parse([])).toBeUndefined()
    expect(() => parse(['--kfold', '1'])).toThrow(/--kfold must be an integer from 2 to 20, got "1"/)
    expect(() => parse(['--kfold', 'five'])).toThrow(/got "five"/)
    expect(() => parse(['--kfold', '0'])).toThrow(/--kfold must be an integer from 2 to 20, got "0"/)
    // train's (big native projects default to 2-fold): 0 = one model scored in-training.
    const train = (args: string[]): unknown =>
      new Command()
        .exitOverride()
        .configureOutput({ writeErr: () => {} })
        .addOption(kfoldOption('k models', { allowZero: true }))
        .parse(args, { from: 'user' })
        .opts().kfold
    expect(train(['--kfold', '0'])).toBe(0)
    expect(train(['--kfold', '4'])).toBe(4)
    expect(() => train(['--kfold', '1'])).toThrow(/--kfold must be 0 or an integer from 2 to 20, got "1"/)
  })

  it('the score command takes the bare flag before other options', () => {
    let seen: unknown
    const program = new Command().exitOverride()
    registerScore(program)
    const score = program.commands.find((c) => c.name() === 'score')!
    score.action((_p: string, o: { kfold?: number; run?: number }) => {
      seen = o
    })
    program.parse(['score', 'x.poi', '--kfold', '--run', '2'], { from: 'user' })
    expect(seen).toMatchObject({ kfold: 5, run: 2 })
  })
})

describe('poi-audit demo', () => {
  it('generates, imports, trains, scores, audits and reports against the ground truth', async () => {
    const dir = mkdtempSync(join(tmpdir(), 'poi-demo-'))
    try {
      const io = captureIo()
      const code = await demoCommand(join(dir, 'demo'), { n: 80, epochs: 1, backend: 'wasm' }, io)
      expect(code, io.stderr).toBe(0)
      expect(io.stdout).toMatch(/Demo finished in/)
      expect(io.stdout).toMatch(/flipped-label AUROC \(audit ranking\)\s+[\d.]+/)
      expect(io.stdout).toMatch(/precision@\d+/)
      expect(io.stdout).toMatch(/TRN accuracy, held-out, true labels/)
      const again = captureIo()
      expect(await demoCommand(join(dir, 'demo'), { n: 80, epochs: 1 }, again)).toBe(1)
      expect(again.stderr).toMatch(/is not empty/)
    } finally {
      rmSync(dir, { recursive: true, force: true })
    }
  })
})
