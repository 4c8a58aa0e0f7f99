/**
 * `poi-audit score <project> --run ID [--kfold [K]] [--backend …] [--threads N] [--json]`: writes every
 * image's POI outputs (TRN probs, OIM soft labels, region probs, gate, UEM, AU probs and importances)
 * into the run's predictions with its final model (in-training scores), or, with --kfold K, trains K
 * models with the run's configuration in a worker thread so that each image is scored by a model that
 * never saw it (a new run; fold recorded per image).
 */
import type { Command } from 'commander'
import { kfoldOption } from '../kfold-option'
import { InvalidArgumentError } from 'commander'
import { openProject } from '../../core/project'
import { scoreRun } from '../../core/score/score'
import { kfoldScoreJob } from '../../core/run/run'
import { getRun } from '../../core/store/runs'
import { ProjectError } from '../../core/store/errors'
import { EXIT, processIo, runGuarded, usageExitCodes, UsageError, type CliIo } from '../ui/io'
import { createProgress } from '../ui/progress'
import { computeFromFlags, printOutcome, runJobWithUi } from './train'

export interface ScoreCliOptions {
  run?: number
  kfold?: number
  backend?: string
  threads?: number
  json?: boolean
}

const int =
  (name: string, min: number) =>
  (v: string): number => {
    const n = Number(v)
    if (!/^\s*\d+\s*$/.test(v) || n < min)
      throw new InvalidArgumentError(`${name} must be an integer ≥ ${min}, got "${v}"`)
    return n
  }

export async function scoreCommand(
  project: string,
  o: ScoreCliOptions,
  io: CliIo = processIo,
  signal?: AbortSignal
): Promise<number> {
  return runGuarded(
    io,
    async () => {
      if (o.run === undefined)
        throw new UsageError('--run ID is required (see the run ids with: poi-audit info <project>)')
      if (o.kfold !== undefined && o.kfold < 2) throw new UsageError(`--kfold must be at least 2, got ${o.kfold}`)
      const compute = computeFromFlags(o)
      const p = openProject(project)
      try {
        const run = getRun(p.db, o.run)
        if (!run) throw new ProjectError('INVALID', `no run ${o.run} in ${p.path}`)
        if (o.kfold) {
          const out = await runJobWithUi(p, { projectPath: p.path, ...kfoldScoreJob(run, o.kfold), compute }, io, {
            signal
          })
          return printOutcome(io, out, p.path, !!o.json)
        }
        const bar = createProgress(io, 'score')
        try {
          const r = await scoreRun({
            db: p.db,
            projectPath: p.path,
            runId: run.id,
            compute,
            signal,
            progress: (e) => bar.update(e.done, e.total, e.phase)
          })
          bar.stop()
          if (o.json) io.out(JSON.stringify(r) + '\n')
          else if (r.status === 'done')
            io.out(
              `Scored ${r.scored} image(s) with run ${r.runId}'s model (in-training scores). Next: poi-audit audit ${p.path} --run ${r.runId}\n`
            )
          else io.out('Scoring cancelled; earlier predictions of the run are unchanged.\n')
          return r.status === 'done' ? EXIT.ok : EXIT.error
        } finally {
          bar.stop()
        }
      } finally {
        p.close()
      }
    },
    project
  )
}

export function registerScore(program: Command): void {
  usageExitCodes(
    program
      .command('score')
      .description(
        "write every image's POI outputs for a run (in-training), or out-of-sample k-fold scores (a new run)"
      )
      .argument('<project>', 'project file')
      .option('--run <id>', 'the training run', int('--run', 1))
      .addOption(
        kfoldOption('train k models with the run’s configuration; each image is scored by the one that did not see it')
      )
      .option('--backend <name>', 'auto | tfjs-node-gpu | tfjs-node | wasm | cpu', 'auto')
      .option('--threads <n>', 'wasm threads (default: one per core that is free now, up to 4)', int('--threads', 1))
      .option('--json', 'print the result as JSON')
      .action(async (project: string, opts: ScoreCliOptions) => {
        const controller = new AbortController()
        const onSigint = (): void => controller.abort()
        process.once('SIGINT', onSigint)
        try {
          process.exitCode = await scoreCommand(project, opts, processIo, controller.signal)
        } finally {
          process.removeListener('SIGINT', onSigint)
        }
      })
  )
}
