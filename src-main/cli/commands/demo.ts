/**
 * `poi-audit demo [dir] [--n N] [--epochs N] [--seed N] [--noise R] [--backend …] [--json]`: the whole
 * pipeline on synthetic faces whose flipped labels are known — generate, import, train POI, score,
 * audit — and what the audit found against the generator's ground truth.
 */
import { InvalidArgumentError, type Command } from 'commander'
import { join } from 'node:path'
import { tmpdir } from 'node:os'
import { DEMO_DEFAULTS, runDemo, type DemoReport } from '../../core/demo'
import { EXIT, processIo, runGuarded, usageExitCodes, type CliIo } from '../ui/io'
import { createProgress } from '../ui/progress'
import { formatTable } from '../ui/table'
import { computeFromFlags, fmtSeconds, pct, trainReporter } from './train'

export interface DemoCliOptions {
  n?: number
  epochs?: number
  seed?: number
  noise?: number
  backend?: string
  threads?: number
  json?: boolean
}

const f3 = (v: number | null | undefined): string => (v == null || Number.isNaN(v) ? '–' : v.toFixed(3))

export function formatDemoReport(r: DemoReport): string {
  const t = r.truth
  const out: string[] = []
  out.push(
    `Demo finished in ${fmtSeconds(r.seconds.total)} (synth ${fmtSeconds(r.seconds.synth)}, import ${fmtSeconds(r.seconds.import)}, train+score ${fmtSeconds(r.seconds.train)}, audit ${fmtSeconds(r.seconds.audit)}); ${r.train.backend}`
  )
  out.push(
    `  data:    ${r.dataset.total} synthetic faces in ${r.dataset.outDir} (${r.dataset.flipped.train} of ${r.dataset.perSplit.train} training labels flipped)`
  )
  out.push(`  project: ${r.project} (run ${r.runId}, audit ${r.auditId})`)
  out.push('')
  out.push('What the audit found, against the generator’s ground truth:')
  out.push(
    formatTable([
      ['measure', 'value', 'meaning'],
      [
        'flipped-label AUROC (audit ranking)',
        f3(t.flipAurocAudit),
        '1 = every flipped label ranked above every clean one'
      ],
      ['flipped-label AUROC (1 − soft label[given])', f3(t.flipAurocSoft), 'the OIM soft label alone'],
      [
        `precision@${t.flipped}`,
        pct(t.precisionAtK),
        `flipped labels among the top ${t.flipped} suspects (chance: ${pct(t.flipped / Math.max(t.train, 1))})`
      ],
      [
        'likely_mislabeled precision / recall',
        `${pct(t.flaggedPrecision)} / ${pct(t.flaggedRecall)}`,
        'the flag a curator reviews first'
      ],
      ['TRN accuracy, held-out, true labels', pct(t.trnAccuracy), `${t.heldOut} images the model never trained on`],
      ['OIM soft-label accuracy, held-out', pct(t.oimAccuracy), ''],
      ['AU heads AUROC (mean of 13)', f3(t.auAurocMean), 'against the AUs the generator drew']
    ])
  )
  const flags = Object.entries(r.flags).filter(([, v]) => v > 0)
  if (flags.length) out.push(`  flags: ${flags.map(([k, v]) => `${k} ${v}`).join(', ')}`)
  out.push('')
  out.push(`Review the suspects: poi-audit audit ${r.project} --run ${r.runId}   or   poi-audit serve ${r.project}`)
  return out.join('\n') + '\n'
}

export async function demoCommand(
  dir: string | undefined,
  o: DemoCliOptions,
  io: CliIo = processIo,
  signal?: AbortSignal
): Promise<number> {
  return runGuarded(io, async () => {
    const compute = computeFromFlags(o)
    const target = dir ?? join(tmpdir(), `poi-audit-demo-${Date.now()}`)
    const bar = createProgress(io, 'demo')
    const reporter = trainReporter(io)
    let phase = ''
    try {
      const r = await runDemo({
        dir: target,
        n: o.n,
        epochs: o.epochs,
        seed: o.seed,
        noise: o.noise,
        compute: { backend: compute?.backend, threads: compute?.threads },
        inWorker: true,
        signal,
        progress: (e) => {
          if (e.phase === 'train') {
            if (phase !== 'train') bar.stop()
            phase = 'train'
            reporter.update(e.event)
          } else {
            if (phase === 'train') reporter.stop()
            phase = e.phase
            bar.update(e.done, e.total, e.phase)
          }
        }
      })
      bar.stop()
      reporter.stop()
      io.out(o.json ? JSON.stringify(r, null, 2) + '\n' : formatDemoReport(r))
      return EXIT.ok
    } finally {
      bar.stop()
      reporter.stop()
    }
  })
}

const int =
  (name: string, min: number) =>
  (v: string): number => {
    const n = Number(v)
    if (!/^\s*\d+\s*$/.test(v) || n < min)
      throw new InvalidArgumentError(`${name} must be an integer ≥ ${min}, got "${v}"`)
    return n
  }

export function registerDemo(program: Command): void {
  usageExitCodes(
    program
      .command('demo')
      .description(
        'run the whole pipeline on synthetic faces with known flipped labels and report what the audit found'
      )
      .argument('[dir]', 'empty folder for the dataset and the project (default: a new temp folder)')
      .option('--n <count>', `synthetic images (default ${DEMO_DEFAULTS.n})`, int('--n', 80))
      .option('--epochs <n>', `training epochs (default ${DEMO_DEFAULTS.epochs})`, int('--epochs', 1))
      .option('--seed <n>', 'random seed (dataset and training)', int('--seed', 0))
      .option('--noise <rate>', 'share of training labels flipped (default 0.2)', (v) => {
        const x = Number(v)
        if (!(x >= 0 && x < 1)) throw new InvalidArgumentError(`--noise must be in [0, 1), got "${v}"`)
        return x
      })
      .option('--backend <name>', 'auto | tfjs-node-gpu | tfjs-node | wasm | cpu', 'auto')
      .option('--threads <n>', 'wasm threads (default: one per core that is free now, up to 4)', int('--threads', 1))
      .option('--json', 'print the report as JSON')
      .action(async (dir: string | undefined, opts: DemoCliOptions) => {
        const controller = new AbortController()
        const onSigint = (): void => controller.abort()
        process.once('SIGINT', onSigint)
        try {
          process.exitCode = await demoCommand(dir, opts, processIo, controller.signal)
        } finally {
          process.removeListener('SIGINT', onSigint)
        }
      })
  )
}
