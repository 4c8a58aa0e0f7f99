/**
 * Training and scoring speed (`npm run bench:speed [-- --quick] [--out FILE]`): images/s per backend ×
 * backbone × input size, POI and CE, through the real batch path: a project of synthetic faces (made by
 * the generator and the importer, as a curator's import would) read with the trainer's own `openInputs`
 * — pixels with augmentation + standardisation in JS for the trainable nets, the float16 feature cache
 * (original and mirror image extracted) for frozen face-api backbones — then tensor upload, train step
 * with every loss term and the SGD update, and eval-mode scoring with every POI output read back. wasm
 * runs with 1 and 2 threads (the thread count is fixed per process, so each backend/thread setting runs
 * in its own child process); the pure-JS cpu backend only runs the CPU default, briefly. Frozen
 * backbones also report feature extraction per source image (its original and its mirror image, both
 * extracted and stored, as `openInputs` does for flip augmentation).
 *
 * `--vs-torch` runs the side-by-side of issue 13 item 6a instead: see vsTorch below.
 *
 * Every measurement records how much CPU other processes used meanwhile ("others", in cores; this
 * machine is shared), since that moves the numbers. Prints a table; writes bench-results/speed.json.
 */
import { spawnSync } from 'node:child_process'
import { existsSync, mkdirSync, mkdtempSync, readFileSync, renameSync, rmSync, writeFileSync } from 'node:fs'
import { dirname, join, resolve } from 'node:path'
import { fileURLToPath } from 'node:url'
import { cpus, loadavg, tmpdir } from 'node:os'
import { parseArgs } from 'node:util'

const ROOT = resolve(dirname(fileURLToPath(import.meta.url)), '..')

export interface SpeedCase {
  name: string
  backbone: 'slim' | 'resnet18' | 'faceapi-landmark' | 'faceapi-landmark-14'
  stem?: 'imagenet' | 'stride2' | 'cifar'
  widths?: [number, number, number, number]
  blocks?: [number, number, number, number]
  size: number
  mode: 'poi' | 'ce'
  batch: number
}

export interface SpeedResult extends SpeedCase {
  backend: string
  threads: number | null
  trainImgPerSec: number | null
  scoreImgPerSec: number | null
  /** Frozen backbones: feature extraction (incl. the mirror image) per source image. */
  extractImgPerSec: number | null
  steps: number
  /** Mean CPU use of other processes during the timed part, cores. */
  others: number
  params: number
  error?: string
}

const FAST: Omit<SpeedCase, 'name' | 'mode' | 'size'> = {
  backbone: 'slim',
  stem: 'imagenet',
  widths: [16, 32, 64, 128],
  blocks: [1, 1, 1, 1],
  batch: 32
}
const S2: Omit<SpeedCase, 'name' | 'mode' | 'size'> = { ...FAST, stem: 'stride2' }

function cases(quick: boolean): SpeedCase[] {
  const c: SpeedCase[] = [
    {
      name: 'CPU default: faceapi-landmark 7×7×256 + heads',
      backbone: 'faceapi-landmark',
      size: 48,
      mode: 'poi',
      batch: 32
    },
    {
      name: 'CPU default: faceapi-landmark 7×7×256 + heads',
      backbone: 'faceapi-landmark',
      size: 48,
      mode: 'ce',
      batch: 32
    },
    {
      name: 'faceapi-landmark-14 14×14×128 + heads',
      backbone: 'faceapi-landmark-14',
      size: 48,
      mode: 'poi',
      batch: 32
    },
    { name: 'slim fast 16-128 imagenet', ...FAST, size: 48, mode: 'poi' },
    { name: 'slim fast 16-128 imagenet', ...FAST, size: 64, mode: 'poi' },
    { name: 'slim fast 16-128 imagenet b64', ...FAST, size: 64, mode: 'poi', batch: 64 },
    { name: 'slim 16-128 stride2', ...S2, size: 48, mode: 'poi' },
    { name: 'slim 32-256 imagenet', backbone: 'slim', stem: 'imagenet', size: 48, mode: 'poi', batch: 32 },
    {
      name: 'resnet18 imagenet (GPU default)',
      backbone: 'resnet18',
      stem: 'imagenet',
      size: 48,
      mode: 'poi',
      batch: 32
    },
    { name: 'resnet18 imagenet (GPU default)', backbone: 'resnet18', stem: 'imagenet', size: 48, mode: 'ce', batch: 32 }
  ]
  if (!quick) {
    c.push({ name: 'slim 32-256 stride2', backbone: 'slim', stem: 'stride2', size: 48, mode: 'poi', batch: 32 })
    c.push({ name: 'slim fast 16-128 imagenet', ...FAST, size: 64, mode: 'ce' })
    c.push({
      name: 'resnet18 imagenet (GPU default)',
      backbone: 'resnet18',
      stem: 'imagenet',
      size: 112,
      mode: 'poi',
      batch: 32
    })
  }
  return c
}

/** Jiffies of the whole machine (busy, total) from /proc/stat; null where there is none. */
function machineCpu(): { busy: number; total: number } | null {
  try {
    const f = readFileSync('/proc/stat', 'utf8').split('\n')[0].trim().split(/\s+/).slice(1).map(Number)
    const idle = f[3] + (f[4] ?? 0)
    const total = f.reduce((a, b) => a + b, 0)
    return { busy: total - idle, total }
  } catch {
    return null
  }
}

/**
 * Measures the CPU others used while `fn` ran, in cores (own CPU from process.cpuUsage subtracted), and
 * this process's own CPU seconds (every thread: TensorFlow's and XNNPACK's pools included).
 */
export async function withOthers<T>(
  fn: () => Promise<T>
): Promise<{ value: T; others: number; seconds: number; cpuS: number }> {
  const m0 = machineCpu()
  const u0 = process.cpuUsage()
  const t0 = performance.now()
  const value = await fn()
  const seconds = (performance.now() - t0) / 1000
  const u = process.cpuUsage(u0)
  const m1 = machineCpu()
  const cpuS = (u.user + u.system) / 1e6
  let others = 0
  if (m0 && m1) {
    const hz = 100
    const busyS = (m1.busy - m0.busy) / hz
    others = Math.max(0, (busyS - cpuS) / seconds)
  }
  return { value, others, seconds, cpuS }
}

/** What one child process of the plain bench runs. */
interface ChildSpec {
  backend: string
  threads: number
  cases: SpeedCase[]
  budgetS: number
  /** Project file of synthetic faces per input size (see makeProjects). */
  projects: Record<string, string>
  /** Images of the project to use (the frozen feature cache extracts every one, twice). */
  images: number
}

async function child(spec: ChildSpec): Promise<SpeedResult[]> {
  const { initCompute } = await import('../src-main/core/compute/backend')
  const { tf } = await import('../src-main/core/compute/tf')
  const { createSgd, trainStep, disposeOutputs } = await import('../src-main/core/model/index')
  const { createRunModel } = await import('../src-main/core/run/run')
  const { resolveTrainConfig, isFrozenBackbone } = await import('../src-main/core/run/config')
  const { modelConfigFor } = await import('../src-main/core/run/model-config')
  const { openInputs } = await import('../src-main/core/data/inputs')
  const { loadDataset } = await import('../src-main/core/data/dataset')
  const { openProject } = await import('../src-main/core/project')
  const { getClasses } = await import('../src-main/core/store/meta')
  const { toPredictions } = await import('../src-main/core/run/predict')
  const { Rng } = await import('../src-main/core/util/rng')
  const info = await initCompute({ backend: spec.backend as 'wasm', threads: spec.threads })
  const out: SpeedResult[] = []
  for (const c of spec.cases) {
    const base: SpeedResult = {
      ...c,
      backend: info.backend,
      threads: info.threads,
      trainImgPerSec: null,
      scoreImgPerSec: null,
      extractImgPerSec: null,
      steps: 0,
      others: 0,
      params: 0
    }
    const project = openProject(spec.projects[String(c.size)], { readonly: true })
    let inputs: Awaited<ReturnType<typeof openInputs>> | null = null
    try {
      const classes = getClasses(project.db)
      const ids = loadDataset(project.db, classes.length)
        .images.map((i) => i.imageId)
        .slice(0, spec.images)
      const cfg = resolveTrainConfig(
        {
          backbone: c.backbone,
          stem: c.stem,
          widths: c.widths,
          blocks: c.blocks,
          mode: c.mode,
          batchSize: c.batch,
          inputSize: c.size
        },
        { inputSize: c.size, channels: 1 }
      )
      const mc = modelConfigFor(cfg, classes)
      // The product's own construction (core/run): identity extractor over the feature cache for frozen backbones.
      const model = createRunModel(mc, cfg)
      base.params = model.paramCounts().trainable
      // The trainer's own input path. For a frozen backbone this builds the float16 feature cache
      // (original + mirror image of every image): timed, per source image.
      const opened = await withOthers(() => openInputs(cfg, { db: project.db, projectPath: null, ids }))
      inputs = opened.value
      if (isFrozenBackbone(cfg.backbone)) base.extractImgPerSec = ids.length / opened.seconds
      const src = inputs
      const [h, w, ch] = [mc.input.height, mc.input.width, mc.input.channels]
      const rng = new Rng(1)
      const idsOf = (k: number, n: number): number[] =>
        Array.from({ length: n }, (_, j) => ids[(k * n + j) % ids.length])
      const opt = createSgd(model.config.optimizer, 0.01)
      const y = tf.tensor1d(
        Array.from({ length: c.batch }, (_, i) => i % classes.length),
        'int32'
      )
      const step = (k: number): void => {
        const x = tf.tensor4d(src.batch(idsOf(k, c.batch), cfg.augment, rng), [c.batch, h, w, ch])
        trainStep(model, { x, y }, opt)
        x.dispose()
      }
      const warm = spec.backend === 'cpu' ? 1 : 2
      for (let k = 0; k < warm; k++) step(k)
      let steps = 0
      const t = await withOthers(async () => {
        const t0 = performance.now()
        while (steps < 3 || (performance.now() - t0) / 1000 < spec.budgetS) {
          step(warm + steps)
          steps++
          if (steps >= 30) break
        }
      })
      base.steps = steps
      base.trainImgPerSec = (steps * c.batch) / t.seconds
      base.others = t.others
      const sb = 64
      const xs = tf.tensor4d(src.batch(idsOf(0, sb)), [sb, h, w, ch])
      disposeOutputs(model.forward(xs))
      let sn = 0
      const s = await withOthers(async () => {
        const t0 = performance.now()
        while (sn < 2 || (performance.now() - t0) / 1000 < spec.budgetS / 2) {
          const o = model.forward(xs)
          await toPredictions(
            o,
            Array.from({ length: sb }, (_, i) => i),
            null
          )
          disposeOutputs(o)
          sn++
          if (sn >= 20) break
        }
      })
      base.scoreImgPerSec = (sn * sb) / s.seconds
      base.others = (base.others + s.others) / 2
      tf.dispose([xs, y])
      opt.dispose()
      model.dispose()
    } catch (e) {
      base.error = (e as Error).message
    } finally {
      inputs?.release()
      project.close()
    }
    out.push(base)
    process.stderr.write(
      `  ${base.backend}×${base.threads} ${c.name} @${c.size} ${c.mode}: train ${base.trainImgPerSec?.toFixed(1) ?? '–'} img/s, score ${base.scoreImgPerSec?.toFixed(0) ?? '–'} img/s${base.error ? ` (${base.error})` : ''}\n`
    )
  }
  return out
}

/** Projects of `n` synthetic faces per input size, imported as a curator would (pixel cache built). */
async function makeProjects(dir: string, sizes: readonly number[], n: number): Promise<Record<string, string>> {
  const { generateDataset } = await import('../src-main/core/synth/index')
  const { createProject } = await import('../src-main/core/project')
  const { importDataset } = await import('../src-main/core/dataset/index')
  const out: Record<string, string> = {}
  for (const size of [...new Set(sizes)]) {
    const ds = await generateDataset({
      outDir: join(dir, `faces-${size}`),
      n,
      size,
      seed: 1,
      classes: [...BENCH_CLASSES]
    })
    const path = join(dir, `speed-${size}.poi`)
    const p = createProject(path, { inputSize: size, channels: 1 })
    try {
      await importDataset(p, ds.labelsCsv, { format: 'csv' })
    } finally {
      p.close()
    }
    out[String(size)] = path
  }
  return out
}

const BENCH_CLASSES = ['neutral', 'happiness', 'surprise', 'sadness', 'anger', 'disgust', 'fear'] as const

function fmt(v: number | null, d = 1): string {
  return v == null ? '–' : v.toFixed(d)
}

// ---------------------------------------------------------------------------------------------------
// --vs-torch (issue 13 item 6a): the same CE nets trained in tfjs-node (native TensorFlow), in wasm
// (our kernels) and in PyTorch CPU, same threads, 48×48×1, batch 64, momentum SGD, plain cross-entropy
// (our mode 'baseline' = extractor + TRN head); POI mode in tfjs only, as extra rows. Each engine ×
// thread count runs in its own child process (TensorFlow reads TF_NUM_INTRAOP_THREADS once at load;
// torch.set_num_threads; wasm threads are fixed at init). Timed per step, in every engine: the batch's
// tensor made from a prepared float32 array, train-mode forward, loss, backward, BN statistics, SGD
// update, the loss read back as a number. Batch preparation is outside the timing everywhere.
// --rounds N repeats the whole thread × engine sequence N times (engines alternating, so the shared
// machine's load drifts hit every engine alike); each tfjs row is divided by PyTorch's row of its own round
// and the medians of those ratios are printed. Engine 'tfjs-node-unfused' is tfjs-node without the fused
// batch-norm / ReLU kernels (POI_NATIVE_FUSED=0), the ablation of core/compute/native-ops.ts.

type Quad = [number, number, number, number]
/**
 * 'tfjs-node-unfused': tfjs-node with the fused native training kernels off (POI_NATIVE_FUSED=0, see
 * core/compute/native-ops.ts): tfjs-core's composed batch norm and ReLU gradients, the path before them.
 */
type VsEngine = 'tfjs-node' | 'tfjs-node-unfused' | 'wasm' | 'torch'
type TfjsEngine = Exclude<VsEngine, 'torch'>
const VS_ENGINES: readonly VsEngine[] = ['tfjs-node', 'tfjs-node-unfused', 'wasm', 'torch']

/** One net of the side-by-side; built through resolveTrainConfig + modelConfigFor like a real run. */
interface VsNet {
  name: 'vgg' | 'slim' | 'resnet18'
  label: string
  backbone: 'vgg' | 'slim' | 'resnet18'
  widths: Quad | null
  blocks: Quad | null
}

const VS_NETS: readonly VsNet[] = [
  {
    name: 'vgg',
    label: 'VGG-style 32-64-128-256, 2 convs/stage',
    backbone: 'vgg',
    widths: [32, 64, 128, 256],
    blocks: null
  },
  {
    name: 'slim',
    label: 'slim ResNet 32-64-128-256, 2-2-2-2, CIFAR stem',
    backbone: 'slim',
    widths: [32, 64, 128, 256],
    blocks: [2, 2, 2, 2]
  },
  { name: 'resnet18', label: 'ResNet-18, CIFAR stem', backbone: 'resnet18', widths: null, blocks: null }
]

const VS = { size: 48, channels: 1 as const, batch: 64, lr: 0.01, classes: BENCH_CLASSES.length }
const VS_FORMAT = 'poi-audit-bench-speed-vs-torch'
const VS_VERSION = 1

interface VsOptions {
  /** Rounds: the whole thread × engine sequence repeated, engines alternating within each. */
  rounds: number
  threads: number[]
  warmup: number
  steps: number
  nets: VsNet[]
  engines: VsEngine[]
  /** Nets that also get a POI-mode row (tfjs engines only). */
  poiNets: string[]
  out: string
  command: string
}

/** One timed configuration (engine × threads × net × mode). */
interface VsRow {
  engine: VsEngine
  /** Round of the run (1-based): every round runs each engine once, alternating, so load drifts hit all alike. */
  round: number
  /** Threads the engine reports it runs (requested count for tfjs-node: TF has no API to read it back). */
  threads: number
  net: string
  mode: 'ce' | 'poi'
  params: number | null
  steps: number
  wallS: number | null
  cpuS: number | null
  imgPerSec: number | null
  imgPerCpuS: number | null
  /** Mean CPU other processes used during the timed steps, cores. */
  others: number | null
  /** 1-minute load average when the engine's child process started. */
  load1: number
  lastLoss: number | null
  error?: string
}

async function vsConfigs(net: VsNet, mode: 'ce' | 'poi') {
  const { resolveTrainConfig } = await import('../src-main/core/run/config')
  const { modelConfigFor } = await import('../src-main/core/run/model-config')
  const cfg = resolveTrainConfig(
    {
      backbone: net.backbone,
      stem: 'cifar',
      widths: net.widths ?? undefined,
      blocks: net.blocks ?? undefined,
      mode,
      batchSize: VS.batch,
      inputSize: VS.size
    },
    { inputSize: VS.size, channels: VS.channels }
  )
  return { cfg, mc: modelConfigFor(cfg, [...BENCH_CLASSES]) }
}

/** The network a run of this net would train, built as the product builds it (core/run createRunModel). */
async function vsModel(net: VsNet, mode: 'ce' | 'poi') {
  const { createRunModel } = await import('../src-main/core/run/run')
  const { cfg, mc } = await vsConfigs(net, mode)
  return createRunModel(mc, cfg)
}

/** The extractor of a resolved model config, as bench/torch/nets.py `build` takes it. */
async function torchArch(net: VsNet): Promise<Record<string, unknown>> {
  const ex = (await vsConfigs(net, 'ce')).mc.extractor
  if (ex.kind === 'vgg') return { kind: 'vgg', widths: ex.widths, convs: ex.convs }
  if (ex.kind === 'resnet') return { kind: 'resnet', stem: ex.stem, widths: ex.widths, blocks: ex.blocks }
  throw new Error(`net ${net.name} resolved to a ${ex.kind} extractor`)
}

/** Trainable parameter count and shapes (registration order) of our CE model, built on the cpu backend. */
async function tfjsShapes(net: VsNet): Promise<{ params: number; shapes: number[][] }> {
  const { tf } = await import('../src-main/core/compute/tf')
  // PROD: no "install the node backend" banner; this process only builds the weights to count them.
  tf.env().set('PROD', true)
  if (tf.getBackend() !== 'cpu') await tf.setBackend('cpu')
  const model = await vsModel(net, 'ce')
  try {
    return {
      params: model.paramCounts().trainable,
      shapes: model.registry.trainable().map((e) => [...e.variable.shape])
    }
  } finally {
    model.dispose()
  }
}

/** Child process: one tfjs engine at one thread count; prints a `@@ROW` line per finished row. */
async function vsChild(spec: {
  engine: TfjsEngine
  round: number
  threads: number
  nets: VsNet[]
  poiNets: string[]
  warmup: number
  steps: number
  load1: number
}): Promise<void> {
  const { initCompute } = await import('../src-main/core/compute/backend')
  const { tf } = await import('../src-main/core/compute/tf')
  const { createSgd, trainStep } = await import('../src-main/core/model/index')
  const { augmentInto, drawAugment, NO_AUGMENT, standardize } = await import('../src-main/core/data/augment')
  const { Rng } = await import('../src-main/core/util/rng')
  const info = await initCompute({ backend: spec.engine === 'wasm' ? 'wasm' : 'tfjs-node', threads: spec.threads })
  for (const net of spec.nets) {
    for (const mode of ['ce', 'poi'] as const) {
      if (mode === 'poi' && !spec.poiNets.includes(net.name)) continue
      const row: VsRow = {
        engine: spec.engine,
        round: spec.round,
        threads: info.threads ?? spec.threads,
        net: net.name,
        mode,
        params: null,
        steps: 0,
        wallS: null,
        cpuS: null,
        imgPerSec: null,
        imgPerCpuS: null,
        others: null,
        load1: spec.load1,
        lastLoss: null
      }
      try {
        const model = await vsModel(net, mode)
        row.params = model.paramCounts().trainable
        const { height: h, width: w, channels: ch } = model.config.input
        const per = h * w * ch
        // Four standardised batches of random pixels through the trainer's own preprocessing, made before the timing.
        const rng = new Rng(1)
        const batches = Array.from({ length: 4 }, () => {
          const o = new Float32Array(VS.batch * per)
          for (let j = 0; j < VS.batch; j++) {
            const px = Uint8Array.from({ length: per }, () => rng.int(256))
            augmentInto(px, h, ch, drawAugment(rng, NO_AUGMENT, h, ch), o, j * per)
            standardize(o, j * per, per)
          }
          return o
        })
        const opt = createSgd(model.config.optimizer, VS.lr)
        const y = tf.tensor1d(
          Array.from({ length: VS.batch }, (_, i) => i % VS.classes),
          'int32'
        )
        let lastLoss = NaN
        const step = (k: number): void => {
          const x = tf.tensor4d(batches[k % batches.length], [VS.batch, h, w, ch])
          lastLoss = trainStep(model, { x, y }, opt).total
          x.dispose()
        }
        for (let k = 0; k < spec.warmup; k++) step(k)
        const t = await withOthers(async () => {
          for (let k = 0; k < spec.steps; k++) step(spec.warmup + k)
        })
        Object.assign(row, { steps: spec.steps, wallS: t.seconds, cpuS: t.cpuS, others: t.others, lastLoss })
        y.dispose()
        opt.dispose()
        model.dispose()
      } catch (e) {
        const m = (e as Error).message
        // Emscripten's abort carries no reason; on this path it is the 4 GiB wasm heap running out (compute.md:
        // ResNet-18 with the CIFAR stem needed 3.9 GB at batch 32). The module is dead afterwards.
        row.error =
          spec.engine === 'wasm' && /^Aborted\(/.test(m) ? `${m} (wasm aborted: most likely its 4 GiB heap ran out)` : m
      }
      process.stderr.write(
        `  ${row.engine}×${row.threads} ${row.net} ${row.mode}: ${row.error ?? `${((row.steps * VS.batch) / (row.wallS ?? 1)).toFixed(1)} img/s`}\n`
      )
      process.stdout.write('@@ROW ' + JSON.stringify(row) + '\n')
    }
  }
}

/** Where the bench's PyTorch lives and how it was had; `error` when it could not be had. */
interface TorchEnv {
  python: string | null
  env: NodeJS.ProcessEnv
  version: string | null
  how: string
  error?: string
}

function torchVersion(python: string, env: NodeJS.ProcessEnv): string | null {
  const p = spawnSync(python, ['-c', 'import torch; print(torch.__version__)'], {
    env,
    encoding: 'utf8',
    timeout: 120_000
  })
  return p.status === 0 ? p.stdout.trim() : null
}

/**
 * PyTorch from a pip wheel in `.cache/torch-venv` (created here on first use; git-ignored), else
 * `pip install --target .cache/torch-site` with PYTHONPATH when no venv can be made. A CPU-only build
 * (`+cpu`) is preferred when pip offers one: the plain Linux wheel pulls ~2.5 GB of CUDA libraries that
 * a CPU benchmark never loads.
 */
function ensureTorch(): TorchEnv {
  const venv = join(ROOT, '.cache', 'torch-venv')
  const site = join(ROOT, '.cache', 'torch-site')
  const vpy = join(venv, 'bin', 'python')
  const siteEnv = { ...process.env, PYTHONPATH: site + (process.env.PYTHONPATH ? `:${process.env.PYTHONPATH}` : '') }
  let v = existsSync(vpy) ? torchVersion(vpy, process.env) : null
  if (v) return { python: vpy, env: process.env, version: v, how: `existing virtualenv ${venv}` }
  v = existsSync(site) ? torchVersion('python3', siteEnv) : null
  if (v) return { python: 'python3', env: siteEnv, version: v, how: `existing pip --target ${site}` }
  const pipArgs = ['--disable-pip-version-check', '--retries', '0', '--timeout', '30']
  const idx = spawnSync('python3', ['-m', 'pip', 'index', 'versions', 'torch', ...pipArgs], {
    encoding: 'utf8',
    timeout: 300_000
  })
  const versions =
    /Available versions:\s*(.*)/
      .exec(idx.stdout ?? '')?.[1]
      .split(',')
      .map((x) => x.trim()) ?? []
  const cpuBuild = versions.find((x) => x.endsWith('+cpu'))
  const req = cpuBuild ? `torch==${cpuBuild}` : 'torch'
  process.stderr.write(
    `  PyTorch: pip offers ${versions.join(', ') || '(pip index gave no list)'}; installing ${req}\n`
  )
  const tried: string[] = []
  const mk = spawnSync('python3', ['-m', 'venv', venv], { encoding: 'utf8', timeout: 300_000 })
  if (mk.status === 0 && existsSync(vpy)) {
    const pip = spawnSync(vpy, ['-m', 'pip', 'install', ...pipArgs, req], {
      stdio: ['ignore', 'inherit', 'inherit'],
      timeout: 1_800_000
    })
    v = pip.status === 0 ? torchVersion(vpy, process.env) : null
    if (v) return { python: vpy, env: process.env, version: v, how: `virtualenv ${venv}, pip install ${req}` }
    tried.push(`pip install ${req} in the virtualenv exited ${pip.status}`)
  } else {
    tried.push(`python3 -m venv failed: ${(mk.stderr || mk.error?.message || '').trim().split('\n').at(-1)}`)
  }
  const pip = spawnSync('python3', ['-m', 'pip', 'install', ...pipArgs, '--target', site, req], {
    stdio: ['ignore', 'inherit', 'inherit'],
    timeout: 1_800_000
  })
  v = pip.status === 0 ? torchVersion('python3', siteEnv) : null
  if (v)
    return {
      python: 'python3',
      env: siteEnv,
      version: v,
      how: `pip install --target ${site} ${req} (${tried.join('; ')})`
    }
  tried.push(`pip install --target ${site} ${req} exited ${pip.status}`)
  return {
    python: null,
    env: process.env,
    version: null,
    how: 'not available',
    error: `PyTorch could not be had: ${tried.join('; ')}`
  }
}

/** Runs bench/torch/speed.py once; returns its parsed result or throws with its stderr's tail. */
function runTorch(
  te: TorchEnv,
  spec: Record<string, unknown>
): { torch: string; threads: number; nets: Array<Record<string, unknown>> } {
  const n = Number(spec.threads)
  const env = { ...te.env, OMP_NUM_THREADS: String(n), MKL_NUM_THREADS: String(n) }
  const p = spawnSync(te.python as string, [join(ROOT, 'bench', 'torch', 'speed.py'), JSON.stringify(spec)], {
    cwd: ROOT,
    env,
    encoding: 'utf8',
    stdio: ['ignore', 'pipe', 'inherit'],
    timeout: 30 * 60_000,
    maxBuffer: 64 * 2 ** 20
  })
  const line = (p.stdout ?? '').split('\n').find((l) => l.startsWith('@@RESULT '))
  if (!line) throw new Error(`bench/torch/speed.py failed (exit ${p.status}${p.error ? `, ${p.error.message}` : ''})`)
  return JSON.parse(line.slice(9))
}

/** Our parameter shapes against bench/torch/nets.py's, entry by entry; throws listing every difference. */
function checkParams(
  ours: Map<string, { params: number; shapes: number[][] }>,
  theirs: Array<Record<string, unknown>>
): string[] {
  const bad: string[] = []
  const lines: string[] = []
  for (const [name, o] of ours) {
    const t = theirs.find((x) => x.name === name)
    if (!t || typeof t.params !== 'number') {
      bad.push(`${name}: PyTorch built no model (${String(t?.error ?? 'missing')})`)
      continue
    }
    const ts = t.shapes as number[][]
    const diffs: string[] = []
    if (ts.length !== o.shapes.length) diffs.push(`${o.shapes.length} tensors here, ${ts.length} in PyTorch`)
    for (let i = 0; i < Math.min(ts.length, o.shapes.length); i++) {
      if (ts[i].join('x') !== o.shapes[i].join('x'))
        diffs.push(`tensor ${i}: [${o.shapes[i].join(', ')}] here, [${ts[i].join(', ')}] in PyTorch`)
    }
    if (t.params !== o.params) diffs.push(`${o.params} parameters here, ${t.params} in PyTorch`)
    if (diffs.length) bad.push(`${name}: ${diffs.slice(0, 6).join('; ')}`)
    else lines.push(`${name}: ${o.params} parameters in ${o.shapes.length} tensors, identical shapes in both`)
  }
  if (bad.length) throw new Error(`the PyTorch nets are not ours:\n  ${bad.join('\n  ')}`)
  return lines
}

function table(rows: string[][]): string {
  const widths = rows[0].map((_, i) => Math.max(...rows.map((r) => r[i].length)))
  return (
    rows
      .map((r) =>
        r
          .map((c, i) => c.padEnd(widths[i]))
          .join('  ')
          .trimEnd()
      )
      .join('\n') + '\n'
  )
}

async function vsTorch(o: VsOptions): Promise<void> {
  const t0 = performance.now()
  const startedAt = new Date().toISOString()
  const load0 = loadavg()[0]
  process.stderr.write(
    `bench:speed --vs-torch on ${cpus().length} CPU(s) (${cpus()[0]?.model ?? '?'}), 1-min load ${load0.toFixed(2)}, node ${process.version}\n` +
      `  nets ${o.nets.map((n) => n.name).join(', ')}; engines ${o.engines.join(', ')}; threads ${o.threads.join(', ')}; ${VS.size}×${VS.size}×${VS.channels}, batch ${VS.batch}, ` +
      `SGD lr ${VS.lr} momentum 0.9 wd 1e-4 (L2), CE; POI rows (tfjs only): ${o.poiNets.join(', ') || 'none'}\n` +
      `  ${o.warmup} warm-up + ${o.steps} timed steps per row: few, so the default run takes about 10 min on an idle 2-core machine (20 min at load 10); ` +
      `wall img/s from so few steps moves with the machine's load, img per CPU-second much less\n`
  )
  const ours = new Map<string, { params: number; shapes: number[][] }>()
  for (const net of o.nets) ours.set(net.name, await tfjsShapes(net))
  const arch = new Map<string, Record<string, unknown>>()
  for (const net of o.nets) arch.set(net.name, await torchArch(net))
  const torchNets = o.nets.map((n) => ({ name: n.name, arch: arch.get(n.name) }))
  const torchSpec = {
    warmup: o.warmup,
    steps: o.steps,
    batch: VS.batch,
    size: VS.size,
    channels: VS.channels,
    classes: VS.classes,
    lr: VS.lr,
    momentum: 0.9,
    weightDecay: 1e-4,
    nets: torchNets
  }
  let te: TorchEnv = { python: null, env: process.env, version: null, how: 'not requested' }
  let paramCheck: string[] = []
  if (o.engines.includes('torch')) {
    te = ensureTorch()
    if (te.error) process.stderr.write(`  ${te.error}\n  reporting tfjs-node and wasm only\n`)
    else {
      process.stderr.write(`  PyTorch ${te.version} (${te.how})\n`)
      // Fails the bench (exit 1) before any timing when the architectures differ.
      paramCheck = checkParams(ours, runTorch(te, { ...torchSpec, threads: 1, paramsOnly: true }).nets)
      for (const l of paramCheck) process.stderr.write(`  params ${l}\n`)
    }
  }
  const rows: VsRow[] = []
  for (let round = 1; round <= o.rounds; round++) {
    for (const n of o.threads) {
      for (const engine of o.engines) {
        const load1 = loadavg()[0]
        if (engine === 'torch') {
          if (!te.python) continue
          let res: ReturnType<typeof runTorch> | null = null
          let err: string | undefined
          try {
            res = runTorch(te, { ...torchSpec, threads: n })
          } catch (e) {
            err = (e as Error).message
          }
          for (const net of o.nets) {
            const r = res?.nets.find((x) => x.name === net.name) as Record<string, number | string | null> | undefined
            const wallS = typeof r?.wallS === 'number' ? r.wallS : null
            const cpuS = typeof r?.cpuS === 'number' ? r.cpuS : null
            const steps = typeof r?.steps === 'number' ? r.steps : 0
            rows.push({
              engine,
              round,
              threads: res?.threads ?? n,
              net: net.name,
              mode: 'ce',
              params: typeof r?.params === 'number' ? r.params : null,
              steps,
              wallS,
              cpuS,
              imgPerSec: wallS ? (steps * VS.batch) / wallS : null,
              imgPerCpuS: cpuS ? (steps * VS.batch) / cpuS : null,
              others: typeof r?.others === 'number' ? r.others : null,
              load1,
              lastLoss: typeof r?.lastLoss === 'number' ? r.lastLoss : null,
              ...(err || r?.error ? { error: String(err ?? r?.error) } : {})
            })
          }
          continue
        }
        const spec = {
          engine,
          round,
          threads: n,
          nets: o.nets,
          poiNets: o.poiNets,
          warmup: o.warmup,
          steps: o.steps,
          load1
        }
        // TensorFlow reads its pool sizes once, at load: set them for this child explicitly.
        const env = {
          ...process.env,
          TF_NUM_INTRAOP_THREADS: String(n),
          TF_NUM_INTEROP_THREADS: '1',
          POI_NATIVE_FUSED: engine === 'tfjs-node-unfused' ? '0' : '1'
        }
        const p = spawnSync(
          process.execPath,
          [...process.execArgv, fileURLToPath(import.meta.url), '--vs-child', JSON.stringify(spec)],
          {
            cwd: ROOT,
            env,
            encoding: 'utf8',
            stdio: ['ignore', 'pipe', 'inherit'],
            timeout: 30 * 60_000,
            maxBuffer: 64 * 2 ** 20
          }
        )
        const got = (p.stdout ?? '')
          .split('\n')
          .filter((l) => l.startsWith('@@ROW '))
          .map((l) => JSON.parse(l.slice(6)) as VsRow)
        for (const r of got) {
          r.imgPerSec = r.wallS ? (r.steps * VS.batch) / r.wallS : null
          r.imgPerCpuS = r.cpuS ? (r.steps * VS.batch) / r.cpuS : null
          rows.push(r)
        }
        const expected = o.nets.length + o.nets.filter((x) => o.poiNets.includes(x.name)).length
        if (p.status !== 0 || got.length < expected) {
          const why = `child exited ${p.status ?? p.signal}${p.error ? ` (${p.error.message})` : ''} after ${got.length} of ${expected} rows`
          process.stderr.write(`  ${engine}×${n}: ${why}\n`)
          for (const net of o.nets) {
            for (const mode of ['ce', 'poi'] as const) {
              if (mode === 'poi' && !o.poiNets.includes(net.name)) continue
              if (!got.some((r) => r.net === net.name && r.mode === mode)) {
                rows.push({
                  engine,
                  round,
                  threads: n,
                  net: net.name,
                  mode,
                  params: null,
                  steps: 0,
                  wallS: null,
                  cpuS: null,
                  imgPerSec: null,
                  imgPerCpuS: null,
                  others: null,
                  load1,
                  lastLoss: null,
                  error: why
                })
              }
            }
          }
        }
      }
    }
  }
  const wallS = (performance.now() - t0) / 1000
  const load1End = loadavg()[0]
  // Each tfjs row is compared with PyTorch's row of the same round (the neighbouring measurement in time).
  const torchOf = (r: VsRow) =>
    rows.find(
      (t) =>
        t.engine === 'torch' &&
        t.round === r.round &&
        t.net === r.net &&
        t.mode === 'ce' &&
        t.threads === r.threads &&
        !t.error
    )
  const ratio = (a: number | null, b: number | null | undefined): number | null => (a != null && b ? a / b : null)
  const head = [
    'net',
    'mode',
    'thr',
    'round',
    'engine',
    'steps',
    'img/s',
    'img/CPU-s',
    'vs torch (wall)',
    'vs torch (CPU)',
    'others',
    'load1',
    'params'
  ]
  const tbl = [head]
  for (const net of o.nets) {
    for (const n of o.threads) {
      const sorted = rows
        .filter((x) => x.net === net.name && x.threads === n)
        .sort((a, b) => (a.mode === b.mode ? a.round - b.round : a.mode === 'ce' ? -1 : 1))
      for (const r of sorted) {
        const t = r.mode === 'ce' && r.engine !== 'torch' ? torchOf(r) : undefined
        tbl.push([
          net.name,
          r.mode,
          String(r.threads),
          String(r.round),
          r.engine,
          String(r.steps),
          fmt(r.imgPerSec),
          fmt(r.imgPerCpuS),
          t ? fmt(ratio(r.imgPerSec, t.imgPerSec), 2) : '–',
          t ? fmt(ratio(r.imgPerCpuS, t.imgPerCpuS), 2) : '–',
          r.others == null ? '–' : r.others.toFixed(2),
          r.load1.toFixed(1),
          (r.params == null ? '–' : String(r.params)) + (r.error ? `  ERROR ${r.error}` : '')
        ])
      }
    }
  }
  const ratios = rows
    .filter((r) => r.engine !== 'torch' && r.mode === 'ce')
    .map((r) => ({
      net: r.net,
      threads: r.threads,
      round: r.round,
      engine: r.engine,
      wall: ratio(r.imgPerSec, torchOf(r)?.imgPerSec),
      cpu: ratio(r.imgPerCpuS, torchOf(r)?.imgPerCpuS)
    }))
  const summary = ratioMedians(ratios)
  process.stdout.write(table(tbl))
  if (o.rounds > 1) {
    process.stdout.write(`\nMedian over ${o.rounds} rounds of the per-round ratio to PyTorch:\n`)
    process.stdout.write(
      table([
        ['net', 'thr', 'engine', 'rounds', 'vs torch (wall)', 'vs torch (CPU)'],
        ...summary.map((m) => [m.net, String(m.threads), m.engine, String(m.rounds), fmt(m.wall, 2), fmt(m.cpu, 2)])
      ])
    )
  }
  process.stdout.write(
    `PyTorch: ${te.version ? `${te.version} (${te.how})` : (te.error ?? te.how)}. Wall ${(wallS / 60).toFixed(1)} min; 1-min load ${load0.toFixed(2)} at start, ${load1End.toFixed(2)} at end ` +
      `(others = CPU other processes used during the timed steps, cores).\n`
  )
  const doc = {
    format: VS_FORMAT,
    version: VS_VERSION,
    at: startedAt,
    command: o.command,
    machine: { cpus: cpus().length, model: cpus()[0]?.model ?? null, node: process.version },
    torch: { version: te.version, how: te.how, ...(te.error ? { error: te.error } : {}) },
    settings: {
      nets: o.nets,
      engines: o.engines,
      rounds: o.rounds,
      threads: o.threads,
      warmup: o.warmup,
      steps: o.steps,
      ...VS,
      momentum: 0.9,
      weightDecay: 1e-4,
      poiNets: o.poiNets
    },
    paramCheck,
    load: { start1: load0, end1: load1End },
    wallS,
    rows,
    ratios,
    summary
  }
  mkdirSync(dirname(o.out), { recursive: true })
  const tmp = `${o.out}.${process.pid}.tmp`
  writeFileSync(tmp, JSON.stringify(doc, null, 2) + '\n')
  renameSync(tmp, o.out)
  process.stdout.write(`wrote ${o.out}\n`)
}

function median(xs: number[]): number | null {
  if (!xs.length) return null
  const s = [...xs].sort((a, b) => a - b)
  const h = s.length >> 1
  return s.length % 2 ? s[h] : (s[h - 1] + s[h]) / 2
}

/** Per net × threads × engine: the median over rounds of the per-round ratio to PyTorch (wall and CPU time). */
function ratioMedians(
  ratios: Array<{ net: string; threads: number; engine: VsEngine; wall: number | null; cpu: number | null }>
) {
  const keys = [...new Set(ratios.map((r) => `${r.net}|${r.threads}|${r.engine}`))]
  return keys.map((k) => {
    const rs = ratios.filter((r) => `${r.net}|${r.threads}|${r.engine}` === k)
    const num = (xs: Array<number | null>) => xs.filter((x): x is number => x != null)
    return {
      net: rs[0].net,
      threads: rs[0].threads,
      engine: rs[0].engine,
      rounds: num(rs.map((r) => r.cpu)).length,
      wall: median(num(rs.map((r) => r.wall))),
      cpu: median(num(rs.map((r) => r.cpu)))
    }
  })
}

function intList(v: string, what: string): number[] {
  const xs = v.split(',').map((x) => Number(x.trim()))
  if (!xs.length || xs.some((x) => !Number.isInteger(x) || x < 1 || x > 64))
    throw new Error(`--${what} must be a comma list of integers 1..64, got '${v}'`)
  return xs
}

function nameList<T extends string>(v: string, allowed: readonly T[], what: string): T[] {
  if (v === 'none' || v === '') return []
  const xs = v.split(',').map((x) => x.trim())
  const bad = xs.filter((x) => !(allowed as readonly string[]).includes(x))
  if (bad.length) throw new Error(`--${what}: unknown ${bad.join(', ')} (choose from ${allowed.join(', ')})`)
  return xs as T[]
}

async function main(): Promise<void> {
  const { values: a } = parseArgs({
    args: process.argv.slice(2),
    options: {
      child: { type: 'string' },
      'vs-child': { type: 'string' },
      quick: { type: 'boolean', default: false },
      /** Plain bench: only the cases whose name contains this text. */
      only: { type: 'string' },
      out: { type: 'string' },
      'vs-torch': { type: 'boolean', default: false },
      threads: { type: 'string', default: '1,2' },
      rounds: { type: 'string', default: '1' },
      steps: { type: 'string', default: '2' },
      warmup: { type: 'string', default: '1' },
      nets: { type: 'string', default: VS_NETS.map((n) => n.name).join(',') },
      engines: { type: 'string', default: 'tfjs-node,wasm,torch' },
      // ResNet-18's POI model (the spec's 512-wide AU nets, layer4 branches) costs ~3× its CE step: opt-in.
      'poi-nets': { type: 'string', default: 'vgg,slim' }
    },
    strict: true
  })
  if (a.child) {
    const res = await child(JSON.parse(a.child))
    process.stdout.write('@@RESULT ' + JSON.stringify(res) + '\n')
    return
  }
  if (a['vs-child']) return vsChild(JSON.parse(a['vs-child']))
  if (a['vs-torch']) {
    const netNames = nameList(
      a.nets,
      VS_NETS.map((n) => n.name),
      'nets'
    )
    return vsTorch({
      rounds: intList(a.rounds, 'rounds')[0],
      threads: intList(a.threads, 'threads'),
      steps: intList(a.steps, 'steps')[0],
      warmup: a.warmup === '0' ? 0 : intList(a.warmup, 'warmup')[0],
      nets: VS_NETS.filter((n) => netNames.includes(n.name)),
      engines: nameList(a.engines, VS_ENGINES, 'engines'),
      poiNets: nameList(
        a['poi-nets'],
        VS_NETS.map((n) => n.name),
        'poi-nets'
      ),
      out: resolve(a.out ?? join(ROOT, 'bench-results', 'speed-vs-torch.json')),
      command: `npm run bench:speed -- ${process.argv.slice(2).join(' ')}`.trim()
    })
  }
  const quick = a.quick
  const outFile = resolve(a.out ?? join(ROOT, 'bench-results', 'speed.json'))
  const all = cases(quick).filter((c) => !a.only || c.name.includes(a.only))
  if (!all.length)
    throw new Error(
      `--only '${a.only}' matches no case (names: ${[...new Set(cases(false).map((c) => c.name))].join('; ')})`
    )
  const two = all.filter(
    (c) =>
      c.mode === 'poi' &&
      c.size === 48 &&
      (c.name.startsWith('CPU default') || c.backbone === 'resnet18' || c.name === 'slim fast 16-128 imagenet')
  )
  const tmpDir = mkdtempSync(join(tmpdir(), 'poi-bench-speed-'))
  try {
    process.stderr.write(
      `bench:speed on ${cpus().length} CPU(s) (${cpus()[0]?.model ?? '?'}), node ${process.version}; making the synthetic-face projects…\n`
    )
    const projects = await makeProjects(
      tmpDir,
      all.map((c) => c.size),
      128
    )
    const runs: ChildSpec[] = [
      { backend: 'wasm', threads: 1, cases: all, budgetS: quick ? 6 : 15, projects, images: 128 },
      { backend: 'wasm', threads: 2, cases: two, budgetS: quick ? 6 : 15, projects, images: 128 },
      // The pure-JS backend is 10–200× slower: one small measurement of the CPU default and the fast slim
      // (16 images: its feature extraction alone takes seconds per image pair).
      {
        backend: 'cpu',
        threads: 1,
        cases: two.filter((c) => c.backbone !== 'resnet18').map((c) => ({ ...c, batch: 8 })),
        budgetS: 1,
        projects,
        images: 16
      }
    ]
    const results: SpeedResult[] = []
    for (const r of runs) {
      const p = spawnSync(
        process.execPath,
        [...process.execArgv, fileURLToPath(import.meta.url), '--child', JSON.stringify(r)],
        {
          cwd: ROOT,
          encoding: 'utf8',
          stdio: ['ignore', 'pipe', 'inherit'],
          maxBuffer: 64 * 2 ** 20
        }
      )
      const line = p.stdout.split('\n').find((l) => l.startsWith('@@RESULT '))
      if (!line) {
        process.stderr.write(`  ${r.backend}×${r.threads}: child failed (exit ${p.status})\n`)
        continue
      }
      results.push(...(JSON.parse(line.slice(9)) as SpeedResult[]))
    }
    const rows = [
      [
        'backend',
        'threads',
        'model',
        'input',
        'mode',
        'batch',
        'train img/s',
        'score img/s',
        'extract img/s',
        'params',
        'others (cores)'
      ]
    ]
    for (const r of results) {
      rows.push([
        r.backend,
        String(r.threads ?? '–'),
        r.name,
        `${r.size}×${r.size}×1`,
        r.mode,
        String(r.batch),
        fmt(r.trainImgPerSec),
        fmt(r.scoreImgPerSec, 0),
        fmt(r.extractImgPerSec),
        String(r.params),
        fmt(r.others, 2) + (r.error ? ` ERROR ${r.error}` : '')
      ])
    }
    process.stdout.write(table(rows))
    mkdirSync(dirname(outFile), { recursive: true })
    writeFileSync(
      outFile,
      JSON.stringify(
        {
          bench: 'speed',
          at: new Date().toISOString(),
          machine: { cpus: cpus().length, model: cpus()[0]?.model ?? null, node: process.version },
          quick,
          results
        },
        null,
        2
      ) + '\n'
    )
    process.stdout.write(`wrote ${outFile}\n`)
  } finally {
    rmSync(tmpDir, { recursive: true, force: true })
  }
}

if (process.argv[1] && resolve(process.argv[1]) === fileURLToPath(import.meta.url)) {
  main().catch((e: unknown) => {
    process.stderr.write(`bench:speed: ${(e as Error).stack ?? e}\n`)
    process.exit(1)
  })
}
