/**
 * `poi-audit synth <outDir>`: writes a synthetic facial-expression dataset (images, labels.csv with
 * flipped labels, ground_truth.json) — the demo data and a known-answer test bed for audits.
 */
import { InvalidArgumentError, type Command } from 'commander'
import { EXIT, processIo, runGuarded, usageExitCodes } from '../ui/io'
import { createProgress } from '../ui/progress'
import { CANONICAL_CLASSES, normaliseClassName, type ClassName } from '../../core/classes'
import { generateDataset, SPLITS, type Split, type SynthSummary } from '../../core/synth/index'

function int(name: string, min: number, max = Number.MAX_SAFE_INTEGER): (v: string) => number {
  return (v) => {
    const n = Number(v)
    if (!/^\s*\d+\s*$/.test(v) || n < min || n > max)
      throw new InvalidArgumentError(`${name} must be an integer in ${min}..${max}, got "${v}"`)
    return n
  }
}

function fraction(name: string): (v: string) => number {
  return (v) => {
    const n = Number(v)
    if (v.trim() === '' || !Number.isFinite(n) || n < 0 || n > 1)
      throw new InvalidArgumentError(`${name} must be a number in 0..1, got "${v}"`)
    return n
  }
}

export function parseClassList(v: string): ClassName[] {
  const out: ClassName[] = []
  for (const raw of v.split(',').filter((s) => s.trim() !== '')) {
    const c = normaliseClassName(raw)
    if (!c) throw new InvalidArgumentError(`unknown class "${raw.trim()}" (known: ${CANONICAL_CLASSES.join(', ')})`)
    if (!out.includes(c)) out.push(c)
  }
  if (out.length === 0) throw new InvalidArgumentError('--classes needs at least one class')
  return out
}

function parseSplits(v: string): { train: number; val: number; test: number } {
  const parts = v.split(',').map((s) => Number(s))
  if (
    parts.length !== 3 ||
    parts.some((x) => !Number.isFinite(x) || x < 0) ||
    Math.abs(parts[0] + parts[1] + parts[2] - 1) > 1e-6
  ) {
    throw new InvalidArgumentError(`--splits must be three fractions train,val,test summing to 1, got "${v}"`)
  }
  return { train: parts[0], val: parts[1], test: parts[2] }
}

function parseSplitList(v: string): Split[] {
  const out = v
    .split(',')
    .map((s) => s.trim())
    .filter((s) => s !== '')
  for (const s of out)
    if (!SPLITS.includes(s as Split))
      throw new InvalidArgumentError(`unknown split "${s}" (splits: ${SPLITS.join(', ')})`)
  return out as Split[]
}

interface SynthCliOptions {
  n: number
  perClass?: number
  size: number
  rgb?: boolean
  noise: number
  seed: number
  classes?: ClassName[]
  splits?: { train: number; val: number; test: number }
  flipSplits?: Split[]
  identities?: number
  force?: boolean
  json?: boolean
}

function printSummary(s: SynthSummary): void {
  const lines = [
    `Wrote ${s.total} images to ${s.outDir} in ${s.seconds.toFixed(1)} s (${(s.total / Math.max(s.seconds, 1e-9)).toFixed(0)} images/s)`,
    `  splits:   train ${s.perSplit.train}, val ${s.perSplit.val}, test ${s.perSplit.test}`,
    `  flipped:  train ${s.flipped.train}, val ${s.flipped.val}, test ${s.flipped.test}`,
    `  classes:  ${s.classes.map((c) => `${c} ${s.perClass[c] ?? 0}`).join(', ')}`,
    `  people:   ${s.identities} synthetic identities`,
    `  labels:   ${s.labelsCsv}`,
    `  truth:    ${s.groundTruth}`
  ]
  process.stdout.write(lines.join('\n') + '\n')
}

export function registerSynth(program: Command): void {
  usageExitCodes(
    program
      .command('synth')
      .description('write a synthetic face dataset (PNG images, labels.csv with flipped labels, ground_truth.json)')
      .argument('<outDir>', 'output folder (created; must be empty unless --force)')
      .option('--n <count>', 'total number of images, spread evenly over the classes', int('--n', 1), 2000)
      .option('--per-class <count>', 'images per class (overrides --n)', int('--per-class', 1))
      .option('--size <px>', 'image width and height in pixels', int('--size', 16, 1024), 64)
      .option('--rgb', 'write RGB images (default: greyscale)')
      .option('--noise <rate>', 'fraction of training labels flipped to another class', fraction('--noise'), 0.2)
      .option('--seed <int>', 'random seed (same seed, same dataset)', int('--seed', 0, 2 ** 32 - 1), 1)
      .option(
        '--classes <list>',
        `comma-separated classes (default: all 8: ${CANONICAL_CLASSES.join(',')})`,
        parseClassList
      )
      .option('--splits <train,val,test>', 'split fractions (default 0.8,0.1,0.1)', parseSplits)
      .option('--flip-splits <list>', 'splits whose labels are flipped (default: train)', parseSplitList)
      .option('--identities <count>', 'number of synthetic people (default: max(8, n/10))', int('--identities', 1))
      .option('--force', 'replace the files of an earlier synth run in <outDir>')
      .option('--json', 'print the summary as JSON')
  ).action(async (outDir: string, opts: SynthCliOptions) => {
    const controller = new AbortController()
    const onSigint = (): void => controller.abort(new Error('interrupted'))
    process.once('SIGINT', onSigint)
    const bar = createProgress(processIo, 'synth images')
    try {
      process.exitCode = await runGuarded(processIo, async () => {
        const summary = await generateDataset({
          outDir,
          n: opts.n,
          perClass: opts.perClass,
          size: opts.size,
          channels: opts.rgb ? 3 : 1,
          noiseRate: opts.noise,
          seed: opts.seed,
          classes: opts.classes,
          splits: opts.splits,
          flipSplits: opts.flipSplits,
          identities: opts.identities,
          overwrite: opts.force ?? false,
          signal: controller.signal,
          progress: (e) => bar.update(e.done, e.total)
        })
        bar.stop()
        if (opts.json) process.stdout.write(JSON.stringify(summary, null, 2) + '\n')
        else printSummary(summary)
        return EXIT.ok
      })
    } finally {
      bar.stop()
      process.removeListener('SIGINT', onSigint)
    }
  })
}
