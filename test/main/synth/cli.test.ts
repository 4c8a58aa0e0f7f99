import { afterEach, describe, expect, it, vi } from 'vitest'
import { readFileSync } from 'node:fs'
import { join } from 'node:path'
import { buildProgram } from '../../../src-main/cli/program'
import { loadGroundTruth } from '../../../src-main/core/synth/ground-truth'
import { tempDir } from '../../helpers/tmp'

const cleanups: (() => void)[] = []
afterEach(() => {
  vi.restoreAllMocks()
  while (cleanups.length) cleanups.pop()?.()
})

/** Runs `poi-audit …` in-process; returns stdout, and throws commander's error instead of exiting. */
async function cli(args: string[]): Promise<string> {
  const program = buildProgram()
  for (const cmd of [program, ...program.commands])
    cmd.exitOverride().configureOutput({ writeErr: () => undefined, writeOut: () => undefined })
  let out = ''
  vi.spyOn(process.stdout, 'write').mockImplementation((chunk: string | Uint8Array) => {
    out += String(chunk)
    return true
  })
  await program.parseAsync(['node', 'poi-audit', ...args])
  return out
}

describe('poi-audit synth', () => {
  it('writes a dataset with the requested options and prints a summary', async () => {
    const t = tempDir('poi-synth-cli-')
    cleanups.push(t.cleanup)
    const dir = join(t.dir, 'demo')
    const out = await cli([
      'synth',
      dir,
      '--n',
      '30',
      '--size',
      '24',
      '--rgb',
      '--noise',
      '0.25',
      '--seed',
      '7',
      '--classes',
      'Happy, angry,neutral'
    ])
    expect(out).toMatch(/Wrote 30 images to .*demo/)
    expect(out).toMatch(/flipped: +train 6, val 0, test 0/)
    const gt = await loadGroundTruth(join(dir, 'ground_truth.json'))
    expect(gt.settings).toMatchObject({
      seed: 7,
      size: 24,
      channels: 3,
      noiseRate: 0.25,
      classes: ['neutral', 'happiness', 'anger']
    })
    expect(readFileSync(join(dir, 'labels.csv'), 'utf8').split('\n')[0]).toBe('path,label,split')
    // Same folder again: refused without --force, replaced with it; --json prints the summary object.
    // Runtime errors go through the CLI's one kit: a message on stderr and a non-zero exit code.
    let stderr = ''
    vi.spyOn(process.stderr, 'write').mockImplementation((chunk: string | Uint8Array) => {
      stderr += String(chunk)
      return true
    })
    try {
      await cli(['synth', dir, '--n', '8', '--size', '24'])
      expect(stderr).toMatch(/poi-audit: .*not empty/)
      expect(process.exitCode).toBeGreaterThan(0)
    } finally {
      process.exitCode = 0
    }
    const json = JSON.parse(await cli(['synth', dir, '--n', '8', '--size', '24', '--force', '--json']))
    expect(json.total).toBe(8)
    expect(json.perSplit).toEqual({ train: 6, val: 1, test: 1 })
  })

  it('rejects bad values with a message naming them', async () => {
    await expect(cli(['synth', '/nonexistent/x', '--noise', '2'])).rejects.toThrow(
      /--noise must be a number in 0..1, got "2"/
    )
    await expect(cli(['synth', '/nonexistent/x', '--size', '8'])).rejects.toThrow(
      /--size must be an integer in 16..1024, got "8"/
    )
    await expect(cli(['synth', '/nonexistent/x', '--classes', 'happy,bored'])).rejects.toThrow(/unknown class "bored"/)
    await expect(cli(['synth', '/nonexistent/x', '--splits', '0.5,0.5,0.5'])).rejects.toThrow(/summing to 1/)
  })
})
