/**
 * `poi-audit train <project> [--backbone …] [--stem …] [--adapter none|residual-conv] [--input-size N] [--epochs N]
 * [--batch N] [--lr X] [--kfold [K]] [--backend …] [--threads N] [--seed N] [--resume RUN | --from-run RUN]
 * [--mode poi|ce] [--no-score] [--json]`:
 * trains the POI network (or the CE baseline) in a worker thread, with a progress bar, then scores the
 * images into the run's predictions. Ctrl-C cancels: the last checkpoint stays, `--resume RUN` continues.
 * `--from-run RUN` retrains with run RUN's configuration (other flags override single options) on the
 * current labels, recording RUN as the new run's parent (`poi-audit compare RUN NEW` shows what changed).
 *
 * Also home of the training progress renderer shared with `score` and `demo`.
 */
import { InvalidArgumentError, type Command } from 'commander'
import { kfoldOption } from '../kfold-option'
import { openProject, type Project } from '../../core/project'
import { ABLATIONS, LOSS_KEYS, modelFromFlags } from '../model-flags'
import { fromRunJob } from '../../core/run/run'
import { getRun } from '../../core/store/runs'
import { ProjectError } from '../../core/store/errors'
import { BACKBONES, isFrozenBackbone, type BackboneName, type TrainConfigInput } from '../../core/run/config'
import { ensureJobCache, runTrainingWorker, type WorkerOutcome } from '../../core/train/worker-host'
import type { StartJob } from '../../core/train/protocol'
import { train, type TrainProgressEvent, type TrainResult } from '../../core/train/train'
import { BACKEND_ORDER, type ComputeBackend } from '../../core/compute/backend'
import { EXIT, processIo, runGuarded, usageExitCodes, UsageError, type CliIo } from '../ui/io'
import { createProgress } from '../ui/progress'
import { formatTable } from '../ui/table'

// #region progress rendering

export function fmtSeconds(s: number | null | undefined): string {
  if (s == null || !Number.isFinite(s)) return '?'
  const t = Math.max(0, Math.round(s))
  const h = Math.floor(t / 3600)
  const m = Math.floor((t % 3600) / 60)
  const sec = t % 60
  return h ? `${h}h${String(m).padStart(2, '0')}m` : m ? `${m}m${String(sec).padStart(2, '0')}s` : `${sec}s`
}

export const pct = (v: number | null | undefined): string => (v == null ? '–' : `${(100 * v).toFixed(1)}%`)

/** One status line of a training event. */
export function describeProgress(e: TrainProgressEvent): string {
  const fold = e.folds ? ` fold ${e.fold + 1}/${e.folds}` : ''
  if (e.phase === 'features')
    return `extracting frozen features${fold}: ${e.done}/${e.total}${e.message ? ` (${e.message})` : ''}`
  if (e.phase === 'score') return `scoring${fold}: ${e.done}/${e.total}`
  if (e.phase === 'prepare') return e.message ?? 'preparing'
  const loss = e.lossTerms.total != null ? e.lossTerms.total.toFixed(3) : '–'
  return `epoch ${e.epoch}/${e.epochs}${fold} step ${e.step}/${e.steps} | loss ${loss} | acc ${pct(e.trainAcc)} val ${pct(e.valAcc)} | ${e.imgPerSec ? e.imgPerSec.toFixed(1) : '–'} img/s | ETA ${fmtSeconds(e.etaSeconds)}`
}

export interface TrainReporter {
  update(e: TrainProgressEvent): void
  stop(): void
}

/**
 * Training progress through the CLI's one progress kit (cli/ui/progress.ts): a bar on a TTY, plain
 * lines every `intervalMs` otherwise (and at every epoch's end); the backend line once.
 */
export function trainReporter(io: CliIo, opts: { intervalMs?: number } = {}): TrainReporter {
  let backendShown = false
  let stepsPerEpoch = 1
  const bar = createProgress(io, 'train', {
    intervalMs: opts.intervalMs ?? 5000,
    milestone: (done, _total, phase) => phase.startsWith('epochs') && done % stepsPerEpoch === 0
  })
  return {
    update(e) {
      if (!backendShown && e.backend) {
        backendShown = true
        io.err(`${e.backend}\n  (${e.backendReason})\n`)
      }
      if (e.phase === 'validate' || e.phase === 'checkpoint' || e.phase === 'done') return
      const counted = e.phase === 'features' || e.phase === 'score' || e.phase === 'prepare'
      stepsPerEpoch = Math.max(1, e.steps)
      const done = counted ? (e.done ?? 0) : Math.max(0, e.epoch - 1) * e.steps + e.step
      const total = Math.max(1, counted ? (e.total ?? 1) : e.epochs * e.steps)
      const phase = counted ? e.phase : `epochs${e.fold >= 0 ? ` fold ${e.fold + 1}` : ''}`
      bar.update(done, total, phase, describeProgress(e))
    },
    stop: () => bar.stop()
  }
}

// #endregion

function posInt(name: string, max = Number.MAX_SAFE_INTEGER): (v: string) => number {
  return (v) => {
    const n = Number(v)
    if (!/^\s*\d+\s*$/.test(v) || n < 1 || n > max)
      throw new InvalidArgumentError(`${name} must be an integer in 1..${max}, got "${v}"`)
    return n
  }
}

function positive(name: string): (v: string) => number {
  return (v) => {
    const n = Number(v)
    if (v.trim() === '' || !Number.isFinite(n) || n <= 0)
      throw new InvalidArgumentError(`${name} must be a positive number, got "${v}"`)
    return n
  }
}

export interface TrainCliOptions {
  backbone?: string
  stem?: string
  widths?: string
  blocks?: string
  adapter?: string
  inputSize?: number
  epochs?: number
  batch?: number
  lr?: number
  kfold?: number
  backend?: string
  threads?: number
  seed?: number
  resume?: number
  fromRun?: number
  mode?: string
  score?: boolean
  name?: string
  inProcess?: boolean
  json?: boolean
  ablation?: string
  loss?: string
  uem?: string
}

/** Checks the flags and turns them into a config input (only what was given; the engine fills the rest). */
export function configFromFlags(o: TrainCliOptions): TrainConfigInput {
  const c: TrainConfigInput = {}
  if (o.backbone !== undefined) {
    if (!BACKBONES.includes(o.backbone as BackboneName))
      throw new UsageError(`--backbone must be one of ${BACKBONES.join(', ')}; got "${o.backbone}"`)
    c.backbone = o.backbone as BackboneName
  }
  if (o.stem !== undefined) {
    if (!['imagenet', 'stride2', 'cifar'].includes(o.stem))
      throw new UsageError(`--stem must be imagenet, stride2 or cifar; got "${o.stem}"`)
    c.stem = o.stem as TrainConfigInput['stem']
  }
  if (o.adapter !== undefined) {
    if (o.adapter !== 'none' && o.adapter !== 'residual-conv')
      throw new UsageError(`--adapter must be none or residual-conv; got "${o.adapter}"`)
    if (o.adapter !== 'none' && c.backbone !== undefined && !isFrozenBackbone(c.backbone)) {
      throw new UsageError(
        `--adapter ${o.adapter} applies only to frozen backbones (faceapi-…); --backbone ${o.backbone} trains its own extractor`
      )
    }
    c.model = { extractor: { adapter: o.adapter } }
  }
  if (o.mode !== undefined) {
    if (o.mode !== 'poi' && o.mode !== 'ce') throw new UsageError(`--mode must be poi or ce; got "${o.mode}"`)
    c.mode = o.mode
  }
  if (o.kfold !== undefined && o.kfold !== 0 && o.kfold < 2)
    throw new UsageError(`--kfold must be 0 or at least 2, got ${o.kfold}`)
  const quad = (name: string, v: string | undefined): [number, number, number, number] | undefined => {
    if (v === undefined) return undefined
    const q = v.split(',').map((x) => Number(x.trim()))
    if (q.length !== 4 || q.some((x) => !Number.isInteger(x) || x < 1 || x > 1024))
      throw new UsageError(`${name} must be four positive integers a,b,c,d (stages layer1..layer4); got "${v}"`)
    return q as [number, number, number, number]
  }
  const widths = quad('--widths', o.widths)
  const blocks = quad('--blocks', o.blocks)
  if (widths) c.widths = widths
  if (blocks) c.blocks = blocks
  if (o.inputSize !== undefined) c.inputSize = o.inputSize
  if (o.epochs !== undefined) c.epochs = o.epochs
  if (o.batch !== undefined) c.batchSize = o.batch
  if (o.lr !== undefined) c.lr = o.lr
  if (o.kfold !== undefined) c.kfold = o.kfold
  if (o.seed !== undefined) c.seed = o.seed
  if (o.score === false) c.scoreAfter = false
  if (o.ablation !== undefined || o.loss !== undefined || o.uem !== undefined) c.model = modelFromFlags(o, c.model)
  return c
}

export function computeFromFlags(o: Pick<TrainCliOptions, 'backend' | 'threads'>): StartJob['compute'] {
  if (o.backend !== undefined && o.backend !== 'auto' && !BACKEND_ORDER.includes(o.backend as ComputeBackend)) {
    throw new UsageError(`--backend must be auto, ${BACKEND_ORDER.join(', ')}; got "${o.backend}"`)
  }
  return { backend: (o.backend ?? 'auto') as 'auto' | ComputeBackend, threads: o.threads ?? 'auto' }
}

/**
 * Runs a job in a worker thread (or in this thread with `inProcess`) against an open, writable project,
 * building the pixel cache first. SIGINT cancels.
 */
export async function runJobWithUi(
  p: Project,
  job: StartJob,
  io: CliIo,
  o: { inProcess?: boolean; signal?: AbortSignal }
): Promise<WorkerOutcome> {
  const controller = new AbortController()
  const onSigint = (): void => {
    io.err('\ncancelling (the last checkpoint is kept; Ctrl-C again to quit at once)…\n')
    process.removeListener('SIGINT', onSigint)
    controller.abort()
  }
  process.on('SIGINT', onSigint)
  o.signal?.addEventListener('abort', () => controller.abort(), { once: true })
  const cacheBar = createProgress(io, 'pixel cache')
  const reporter = trainReporter(io)
  try {
    const built = await ensureJobCache(p.db, job, controller.signal, (d, t) => cacheBar.update(d, t, 'build'))
    cacheBar.stop()
    if (built) io.err(`built the pixel cache for ${built} image(s)\n`)
    if (o.inProcess) {
      try {
        const r: TrainResult = await train({
          db: p.db,
          projectPath: p.path,
          config: job.config,
          resumeFrom: job.resumeFrom,
          name: job.name,
          parentRunId: job.parentRunId,
          compute: job.compute,
          signal: controller.signal,
          progress: (e) => reporter.update(e)
        })
        return { status: r.status, runId: r.runId, result: r, error: null, exitCode: null }
      } catch (e) {
        return { status: 'failed', runId: null, result: null, error: (e as Error).message, exitCode: null }
      }
    }
    return await runTrainingWorker(job, {
      db: p.db,
      signal: controller.signal,
      onProgress: (w) => reporter.update(w.detail)
    })
  } finally {
    cacheBar.stop()
    reporter.stop()
    process.removeListener('SIGINT', onSigint)
  }
}

export function printOutcome(io: CliIo, out: WorkerOutcome, projectPath: string, json: boolean): number {
  if (json) {
    io.out(
      JSON.stringify(
        {
          status: out.status,
          runId: out.runId,
          error: out.error,
          metrics: out.result?.metrics ?? null,
          checkpoint: out.result?.checkpoint ?? null
        },
        null,
        2
      ) + '\n'
    )
  } else if (out.status === 'done' && out.result) {
    const r = out.result
    const m = r.metrics
    io.out(`Run ${r.runId} finished in ${fmtSeconds(m.seconds)} (${m.backend})\n`)
    io.out(
      `  ${m.trainImages} training images, ${m.valImages} validation images (${m.valSource}), ${m.scored} images scored\n`
    )
    io.out(
      formatTable([
        ['model', 'epochs', 'loss', 'train acc', 'val acc', 'img/s'],
        ...m.final.map((f) => [
          f.fold < 0 ? 'single' : `fold ${f.fold + 1}`,
          f.epoch,
          (f.loss.total ?? 0).toFixed(3),
          pct(f.trainAcc),
          pct(f.valAcc),
          Number(f.imgPerSec.toFixed(1))
        ])
      ]) + '\n'
    )
    if (r.checkpoint) io.out(`  checkpoint: ${r.checkpoint}\n`)
    io.out(`  next: poi-audit audit ${projectPath} --run ${r.runId}\n`)
  } else if (out.status === 'cancelled') {
    io.out(
      `Run ${out.runId ?? '?'} cancelled.${out.runId != null ? ` Resume it with: poi-audit train ${projectPath} --resume ${out.runId}` : ''}\n`
    )
  }
  if (out.status === 'failed' || out.status === 'crashed') {
    io.err(`poi-audit: training ${out.status}${out.runId != null ? ` (run ${out.runId})` : ''}: ${out.error}\n`)
    return EXIT.error
  }
  return out.status === 'cancelled' ? EXIT.error : EXIT.ok
}

export async function trainCommand(
  project: string,
  o: TrainCliOptions,
  io: CliIo = processIo,
  signal?: AbortSignal
): Promise<number> {
  return runGuarded(
    io,
    async () => {
      const config = configFromFlags(o)
      const compute = computeFromFlags(o)
      if (o.resume !== undefined && Object.keys(config).length) {
        throw new UsageError('--resume continues a run with its own configuration; drop the other training options')
      }
      if (o.resume !== undefined && o.fromRun !== undefined)
        throw new UsageError(
          '--resume and --from-run exclude each other (resume continues a run; --from-run starts a new one)'
        )
      const p = openProject(project)
      try {
        let job: StartJob = { projectPath: p.path, config, compute, resumeFrom: o.resume, name: o.name }
        if (o.fromRun !== undefined) {
          const parent = getRun(p.db, o.fromRun)
          if (!parent) throw new ProjectError('INVALID', `--from-run ${o.fromRun}: no run ${o.fromRun} in ${p.path}`)
          const r = fromRunJob(parent, config)
          job = { ...job, config: r.config, name: o.name ?? r.name, parentRunId: r.parentRunId }
        }
        const out = await runJobWithUi(p, job, io, { inProcess: o.inProcess, signal })
        const code = printOutcome(io, out, p.path, !!o.json)
        if (!o.json && out.status === 'done' && job.parentRunId != null)
          io.out(`  before/after: poi-audit compare ${p.path} ${job.parentRunId} ${out.runId}\n`)
        return code
      } finally {
        p.close()
      }
    },
    project
  )
}

export function registerTrain(program: Command): void {
  usageExitCodes(
    program
      .command('train')
      .description('train the POI network (or the CE baseline) on a project, then score its images')
      .argument('<project>', 'project file')
      .option(
        '--backbone <name>',
        `${BACKBONES.join(' | ')} (default: vgg on native TensorFlow, faceapi-landmark on wasm, resnet18 on a GPU)`
      )
      .option('--stem <stem>', 'ResNet stem: imagenet | stride2 | cifar')
      .option('--widths <a,b,c,d>', 'ResNet stage widths (slim default 32,64,128,256; the fast slim: 16,32,64,128)')
      .option('--blocks <a,b,c,d>', 'ResNet blocks per stage (default 2,2,2,2; the fast slim: 1,1,1,1)')
      .option(
        '--adapter <kind>',
        'frozen backbones: none (default) | residual-conv, a trainable 3×3 conv the PIN and TRN share (≈ 1.4× the training time; ' +
          'on FER2013 it made UEM confidence rank correctness far better at 20 epochs, see docs/compute-defaults.md)'
      )
      .option(
        '--input-size <px>',
        'square input side (default: the project’s pixel cache size)',
        posInt('--input-size', 512)
      )
      .option(
        '--epochs <n>',
        'epochs (default: 10 with a frozen face-api backbone; from scratch on native CPU, 180,000 image passes ' +
          'over the labelled images, 5 to 30, e.g. 5 for FER2013; 30 otherwise)',
        posInt('--epochs', 1000)
      )
      .option('--batch <n>', 'batch size (default 64 for the native CPU default net, else 32)', posInt('--batch', 1024))
      .option(
        '--lr <x>',
        'initial learning rate (default 0.1 with batch 64 on native CPU, else 0.05; ×0.1 at 1/3 and 2/3 of the epochs)',
        positive('--lr')
      )
      .addOption(
        kfoldOption(
          'train k models for out-of-sample scores (each image scored by a model that never saw it); default 2 on ' +
            'native CPU from 10,000 labelled images, else one model (0 = one model)',
          { allowZero: true }
        )
      )
      .option('--backend <name>', `auto | ${BACKEND_ORDER.join(' | ')}`, 'auto')
      .option('--threads <n>', 'wasm threads (default: one per core that is free now, up to 4)', posInt('--threads', 8))
      .option('--seed <n>', 'random seed', (v) => {
        if (!/^\s*\d+\s*$/.test(v)) throw new InvalidArgumentError(`--seed must be a non-negative integer, got "${v}"`)
        return Number(v)
      })
      .option('--resume <run>', 'continue a cancelled or crashed run from its last checkpoint', posInt('--resume'))
      .option(
        '--from-run <run>',
        "retrain with that run's configuration on the current labels (curator decisions included); other flags override",
        posInt('--from-run')
      )
      .option('--mode <mode>', 'poi (default) or ce (plain cross-entropy baseline)')
      .option(
        '--ablation <list>',
        `POI ablations, comma list: ${Object.keys(ABLATIONS).join(', ')} (no-gate = Table III's 'inpre')`
      )
      .option('--loss <k=v,…>', `loss weights: ${LOSS_KEYS.join(', ')} (defaults 0.5, 0.5, 1, 1, 1, 0.5)`)
      .option('--uem <form>', 'UEM form: entropy (default) | variance | mi')
      .option('--no-score', 'do not score the images when training ends')
      .option('--name <text>', 'a name for the run')
      .option('--in-process', 'train in this thread instead of a worker thread (debugging)')
      .option('--json', 'print the outcome as JSON')
      .action(async (project: string, opts: TrainCliOptions) => {
        process.exitCode = await trainCommand(project, opts)
      })
  )
}
