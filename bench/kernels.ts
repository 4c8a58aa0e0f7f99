/**
 * Kernel and training benchmark for the wasm backend (`npm run bench:kernels [-- --quick] [--no-train]`).
 *
 * 1. Per conv layer of the compute.md table (batch 32): forward conv, dX with wasm's native kernel vs the
 *    phase shim, dW with the 'conv' and 'pertap' shims (wasm has no native dW).
 * 2. The other replaced kernels, native vs shim: Tile (batch-norm gradient pattern), Reverse (POI flips, and
 *    the axis-length crossover), transposed matmuls (dense backward), MaxPoolGrad (ResNet stem pool).
 * 3. Training img/s of a slim ResNet (widths 32-64-128-256, ImageNet stem) at 48x48x1, batch 32, Adam, on
 *    wasm + shims with 1 and 2 threads, plus a "missing kernels only" ablation, and one ResNet-sized layer's
 *    fwd+dX+dW per thread count. Each configuration runs in its own process (the thread count is fixed at
 *    wasm init).
 * Every timing records the CPU other processes used meanwhile ("others", in cores): this machine is shared.
 * Prints tables and writes bench-results/kernels.json. Uses random data only (no data sets).
 */
import { parseArgs } from 'node:util'
import { spawnSync } from 'node:child_process'
import { mkdirSync, readFileSync, writeFileSync } from 'node:fs'
import os from 'node:os'
import { dirname, join, resolve } from 'node:path'
import { fileURLToPath } from 'node:url'
import type { LayersModel, NamedAttrMap, SymbolicTensor, Tensor, Tensor4D } from '@tensorflow/tfjs'
import { tf } from '../src-main/core/compute/tf'
import { describeCompute, initCompute } from '../src-main/core/compute/backend'
import { installWasmShims, uninstallWasmShims, type WasmShimOptions } from '../src-main/core/compute/wasm-shims'

const ROOT = resolve(dirname(fileURLToPath(import.meta.url)), '..')
/** Command-line options (node:util parseArgs: an unknown option or a missing value is an error). */
const { values: opts } = parseArgs({
  options: {
    quick: { type: 'boolean' },
    'no-train': { type: 'boolean' },
    // the child process this bench spawns for one training measurement
    'train-child': { type: 'boolean' },
    threads: { type: 'string' },
    shims: { type: 'string' }
  },
  strict: true
})
const QUICK = !!opts.quick

// ---- load accounting -------------------------------------------------------------------------------------

/** Busy jiffies of the whole machine (all CPUs), from /proc/stat; null where there is no /proc. */
function machineBusySeconds(): number | null {
  try {
    const cpu = readFileSync('/proc/stat', 'utf8').split('\n')[0].trim().split(/\s+/).slice(1).map(Number)
    const idle = cpu[3] + (cpu[4] ?? 0)
    return (cpu.reduce((a, b) => a + b, 0) - idle) / 100 // USER_HZ = 100 on Linux
  } catch {
    return null
  }
}

interface Timing {
  /** median ms per call */
  ms: number
  /** CPU cores used by other processes while this was measured */
  others: number | null
}

/** Median wall time of `reps` calls after `warm` calls, with the other processes' CPU meanwhile. */
function time(fn: () => void, reps: number, warm = 1): Timing {
  const m = measure(reps)
  for (let i = 0; i < warm; i++) fn()
  m.start()
  for (let i = 0; i < reps; i++) m.sample(fn)
  return m.done()
}

/** `time` for async work (trainOnBatch resolves once the step's loss has been read back). */
async function timeAsync(fn: () => Promise<unknown>, reps: number, warm = 1): Promise<Timing> {
  const m = measure(reps)
  for (let i = 0; i < warm; i++) await fn()
  m.start()
  for (let i = 0; i < reps; i++) {
    const t = performance.now()
    await fn()
    m.samples.push(performance.now() - t)
  }
  return m.done()
}

function measure(reps: number) {
  const samples: number[] = []
  let busy0: number | null = null
  let own0 = process.cpuUsage()
  let t0 = 0
  return {
    samples,
    start(): void {
      busy0 = machineBusySeconds()
      own0 = process.cpuUsage()
      t0 = performance.now()
    },
    sample(fn: () => void): void {
      const t = performance.now()
      fn()
      samples.push(performance.now() - t)
    },
    done(): Timing {
      const wall = (performance.now() - t0) / 1000
      const own = process.cpuUsage(own0)
      const busy1 = machineBusySeconds()
      samples.sort((a, b) => a - b)
      const others =
        busy0 == null || busy1 == null ? null : Math.max(0, (busy1 - busy0 - (own.user + own.system) / 1e6) / wall)
      if (samples.length !== reps) throw new Error('measure: sample count mismatch')
      return { ms: samples[Math.floor(samples.length / 2)], others }
    }
  }
}

/** Runs an op, disposes what it made (wasm kernels are synchronous, so this is the op's full cost). */
function run(f: () => Tensor): () => void {
  return () => tf.dispose(f())
}

const kernel = (name: string, inputs: Record<string, Tensor>, attrs: Record<string, unknown>) => (): Tensor =>
  tf.engine().runKernel(name, inputs, attrs as unknown as NamedAttrMap) as Tensor

// ---- 1. conv layers ----------------------------------------------------------------------------------------

interface Layer {
  name: string
  h: number
  cin: number
  cout: number
  k: number
  s: number
}
const LAYERS: Layer[] = [
  { name: 'stem 7x7/2 @48 (1->64)', h: 48, cin: 1, cout: 64, k: 7, s: 2 },
  { name: 'stem 7x7/2 @112 (3->64)', h: 112, cin: 3, cout: 64, k: 7, s: 2 },
  { name: '3x3 64->64 @12', h: 12, cin: 64, cout: 64, k: 3, s: 1 },
  { name: '3x3 64->64 @28', h: 28, cin: 64, cout: 64, k: 3, s: 1 },
  { name: '3x3 64->64 @48 (cifar stem)', h: 48, cin: 64, cout: 64, k: 3, s: 1 },
  { name: '3x3/2 64->128 @12', h: 12, cin: 64, cout: 128, k: 3, s: 2 },
  { name: '3x3 128->128 @6', h: 6, cin: 128, cout: 128, k: 3, s: 1 },
  { name: '3x3 128->128 @14', h: 14, cin: 128, cout: 128, k: 3, s: 1 },
  { name: '3x3 256->256 @7', h: 7, cin: 256, cout: 256, k: 3, s: 1 },
  { name: '3x3 512->512 @2', h: 2, cin: 512, cout: 512, k: 3, s: 1 },
  { name: '3x3 512->512 @4', h: 4, cin: 512, cout: 512, k: 3, s: 1 },
  { name: '1x1/2 64->128 @12', h: 12, cin: 64, cout: 128, k: 1, s: 2 }
]
const QUICK_LAYERS = new Set([
  'stem 7x7/2 @48 (1->64)',
  '3x3 64->64 @12',
  '3x3 64->64 @28',
  '3x3/2 64->128 @12',
  '3x3 256->256 @7'
])

/** Forward GFLOP of a 'same' conv at batch 32 (2 FLOPs per multiply-add). */
function gflop(l: Layer, n = 32): number {
  const ho = Math.ceil(l.h / l.s)
  return (2 * n * ho * ho * l.k * l.k * l.cin * l.cout) / 1e9
}

function benchLayer(l: Layer, reps: number): Record<string, Timing | number | string> {
  const n = 32
  const x = tf.randomNormal([n, l.h, l.h, l.cin]) as Tensor4D
  const w = tf.randomNormal([l.k, l.k, l.cin, l.cout]) as Tensor4D
  const ho = Math.ceil(l.h / l.s)
  const dy = tf.randomNormal([n, ho, ho, l.cout]) as Tensor4D
  const common = { strides: l.s, pad: 'same', dataFormat: 'NHWC' }
  const dX = kernel('Conv2DBackpropInput', { dy, filter: w }, { ...common, inputShape: x.shape })
  const dW = kernel('Conv2DBackpropFilter', { x, dy }, { ...common, filterShape: w.shape })
  const heavy = reps > 1 && gflop(l) > 2 ? Math.max(1, reps - 1) : reps
  const out: Record<string, Timing | number | string> = { layer: l.name, gflop: gflop(l) }
  installWasmShims(tf)
  out.forward = time(
    run(() => tf.conv2d(x, w, l.s, 'same')),
    reps
  )
  out.dxShim = time(run(dX), reps)
  out.dwConv = time(run(dW), reps)
  installWasmShims(tf, { filterGradStrategy: 'pertap' })
  out.dwPertap = time(run(dW), heavy)
  uninstallWasmShims()
  out.dxNative = time(run(dX), heavy)
  installWasmShims(tf)
  tf.dispose([x, w, dy])
  return out
}

// ---- 2. the other kernels ----------------------------------------------------------------------------------

function nativeVsShim(
  label: string,
  op: () => Tensor,
  opts: WasmShimOptions,
  reps: number
): Record<string, Timing | string> {
  installWasmShims(tf, opts)
  const native = time(run(op), reps)
  installWasmShims(tf)
  const shim = time(run(op), reps)
  return { kernel: label, native, shim }
}

function benchOthers(reps: number): Array<Record<string, Timing | string>> {
  const rows: Array<Record<string, Timing | string>> = []
  const keep: Tensor[] = []
  const t = <T extends Tensor>(v: T): T => (keep.push(v), v)
  rows.push(
    nativeVsShim(
      'Tile [1,1,1,128] -> [32,12,12,128] (590k)',
      () => tf.tile(t(tf.randomNormal([1, 1, 1, 128])), [32, 12, 12, 1]),
      { fastTile: false },
      reps
    )
  )
  const flips: Array<[string, number[]]> = [
    ['Reverse W of [64,9,9,256] (POI crops, 224 px)', [64, 9, 9, 256]],
    ['Reverse W of [64,5,5,256] (POI crops, 112 px)', [64, 5, 5, 256]],
    ['Reverse W of [32,24,24,64]', [32, 24, 24, 64]],
    ['Reverse W of [32,16,16,72] (L=16)', [32, 16, 16, 72]],
    ['Reverse W of [32,32,32,18] (L=32)', [32, 32, 32, 18]],
    ['Reverse W of [32,64,64,5] (L=64)', [32, 64, 64, 5]]
  ]
  for (const [label, shape] of flips) {
    const x = t(tf.randomNormal(shape))
    rows.push(nativeVsShim(label, () => tf.reverse(x, 2), { fastReverse: false }, reps))
  }
  const a = t(tf.randomNormal([64, 512]))
  const wt = t(tf.randomNormal([512, 512]))
  rows.push(
    nativeVsShim(
      'MatMul x^T dy: [64,512]^T @ [64,512] (dense dW)',
      () => tf.matMul(a, a, true, false),
      { fastTransposedMatMul: false },
      reps
    )
  )
  rows.push(
    nativeVsShim(
      'MatMul dy W^T: [64,512] @ [512,512]^T (dense dX)',
      () => tf.matMul(a, wt, false, true),
      { fastTransposedMatMul: false },
      reps
    )
  )
  const px = t(tf.randomNormal([32, 24, 24, 64])) as Tensor4D
  const pdy = t(tf.randomNormal([32, 12, 12, 64])) as Tensor4D
  const pool = kernel(
    'MaxPoolGrad',
    { dy: pdy, input: px, output: t(tf.maxPool(px, 3, 2, 'same')) },
    { filterSize: 3, strides: 2, pad: 'same' }
  )
  rows.push(
    nativeVsShim('MaxPoolGrad 3x3/2 [32,24,24,64] (stem pool; native is wrong)', pool, { fixMaxPoolGrad: false }, reps)
  )
  tf.dispose(keep)
  return rows
}

// ---- 3. training (child process per configuration) -----------------------------------------------------------

function slimResNet(widths = [32, 64, 128, 256], inputShape = [48, 48, 1], classes = 7): LayersModel {
  const convBn = (x: SymbolicTensor, f: number, k: number, s: number, relu: boolean): SymbolicTensor => {
    let y = tf.layers
      .conv2d({ filters: f, kernelSize: k, strides: s, padding: 'same', useBias: false })
      .apply(x) as SymbolicTensor
    y = tf.layers.batchNormalization().apply(y) as SymbolicTensor
    return relu ? (tf.layers.reLU().apply(y) as SymbolicTensor) : y
  }
  const input = tf.input({ shape: inputShape })
  let x = convBn(input, widths[0], 7, 2, true)
  x = tf.layers.maxPooling2d({ poolSize: 3, strides: 2, padding: 'same' }).apply(x) as SymbolicTensor
  widths.forEach((f, stage) => {
    for (let b = 0; b < 2; b++) {
      const s = stage > 0 && b === 0 ? 2 : 1
      const inCh = x.shape[3] as number
      let y = convBn(x, f, 3, s, true)
      y = convBn(y, f, 3, 1, false)
      const short = s !== 1 || inCh !== f ? convBn(x, f, 1, s, false) : x
      x = tf.layers.reLU().apply(tf.layers.add().apply([y, short])) as SymbolicTensor
    }
  })
  x = tf.layers.globalAveragePooling2d({}).apply(x) as SymbolicTensor
  const out = tf.layers.dense({ units: classes, activation: 'softmax' }).apply(x) as SymbolicTensor
  return tf.model({ inputs: input, outputs: out })
}

const MIN_SHIMS: WasmShimOptions = {
  filterGradStrategy: 'pertap',
  fastConvInputGrad: false,
  fastTile: false,
  fastTransposedMatMul: false,
  fastReverse: false
}

async function trainChild(): Promise<void> {
  const threads = Number(opts.threads ?? 1)
  const shims = opts.shims ?? 'full'
  const info = await initCompute({ backend: 'wasm', threads, shims: shims === 'min' ? MIN_SHIMS : {} })
  const batch = 32
  const model = slimResNet()
  model.compile({ optimizer: tf.train.adam(1e-3), loss: 'categoricalCrossentropy' })
  const x = tf.randomNormal([batch, 48, 48, 1])
  const y = tf.oneHot(tf.randomUniform([batch], 0, 7, 'int32') as tf.Tensor1D, 7)
  // trainOnBatch resolves with the loss as a number, so each timed step is complete
  const steps = await timeAsync(() => model.trainOnBatch(x, y), QUICK ? 3 : 6, 2)
  // one ResNet-sized layer, fwd + dX + dW (3x3 64->64 @28, batch 32)
  const lx = tf.randomNormal([32, 28, 28, 64]) as Tensor4D
  const lw = tf.randomNormal([3, 3, 64, 64]) as Tensor4D
  const layer = time(
    run(() =>
      tf.tidy(
        () =>
          tf.grads((a: Tensor, b: Tensor) => tf.sum(tf.conv2d(a as Tensor4D, b as Tensor4D, 1, 'same')))([lx, lw])[0]
      )
    ),
    QUICK ? 3 : 5
  )
  const heapMb = tf.memory().numBytes / 2 ** 20
  process.stdout.write(
    JSON.stringify({
      threads: info.threads,
      shims,
      describe: describeCompute(info),
      msPerStep: steps.ms,
      imgPerSec: (batch / steps.ms) * 1000,
      others: steps.others,
      layer28: layer,
      tensorMb: heapMb
    }) + '\n'
  )
}

function spawnTrain(threads: number, shims: 'full' | 'min'): Record<string, unknown> {
  const script = fileURLToPath(import.meta.url)
  const r = spawnSync(
    process.execPath,
    [
      ...process.execArgv,
      script,
      '--train-child',
      '--threads',
      String(threads),
      '--shims',
      shims,
      ...(QUICK ? ['--quick'] : [])
    ],
    {
      encoding: 'utf8',
      timeout: 15 * 60_000
    }
  )
  const line = r.stdout.split('\n').find((l) => l.startsWith('{'))
  if (r.status !== 0 || !line)
    return {
      threads,
      shims,
      error: (r.stderr || r.stdout || `exit ${r.status}`).trim().split('\n').slice(-3).join(' | ')
    }
  return JSON.parse(line) as Record<string, unknown>
}

// ---- main ------------------------------------------------------------------------------------------------------

const fmt = (t: unknown): string => {
  const v = t as Timing | undefined
  return v && typeof v.ms === 'number' ? v.ms.toFixed(1) : '–'
}
const gfs = (g: number, t: unknown): string => `${fmt(t)} (${(g / ((t as Timing).ms / 1000)).toFixed(1)})`
const maxOthers = (rows: Array<Record<string, unknown>>): number =>
  Math.max(
    0,
    ...rows.flatMap((r) => Object.values(r).map((v) => (v as Timing)?.others ?? 0)).filter((v) => typeof v === 'number')
  )

async function main(): Promise<void> {
  if (opts['train-child']) return trainChild()
  const info = await initCompute({ backend: 'wasm', threads: 1 })
  console.log(describeCompute(info))
  console.log(
    `machine: ${os.cpus().length} x ${os.cpus()[0]?.model ?? '?'}, load average ${os
      .loadavg()
      .map((v) => v.toFixed(2))
      .join(' ')}`
  )
  console.log(
    'Other processes share this machine: the "others" column is the CPU (cores) they used during each measurement.\n'
  )
  const reps = QUICK ? 2 : 3
  const layers = LAYERS.filter((l) => !QUICK || QUICK_LAYERS.has(l.name)).map((l) => benchLayer(l, reps))
  console.log('Conv layers, batch 32, wasm 1 thread: ms (GFLOP/s)')
  console.log(
    '| layer | GFLOP | forward | dX native | dX shim (phase) | dW shim conv (default) | dW shim pertap | others |'
  )
  console.log('|---|---|---|---|---|---|---|---|')
  for (const r of layers) {
    const g = r.gflop as number
    console.log(
      `| ${r.layer} | ${g.toFixed(3)} | ${gfs(g, r.forward)} | ${gfs(g, r.dxNative)} | ${gfs(g, r.dxShim)} | ${gfs(g, r.dwConv)} | ${gfs(g, r.dwPertap)} | ${maxOthers([r]).toFixed(2)} |`
    )
  }
  const others = benchOthers(QUICK ? 3 : 5)
  console.log('\nOther replaced kernels, wasm 1 thread: ms')
  console.log('| kernel | native | shim | speed-up | others |')
  console.log('|---|---|---|---|---|')
  for (const r of others) {
    const n = (r.native as Timing).ms
    const s = (r.shim as Timing).ms
    console.log(
      `| ${r.kernel} | ${n.toFixed(2)} | ${s.toFixed(2)} | ${(n / s).toFixed(2)}x | ${maxOthers([r]).toFixed(2)} |`
    )
  }
  const train: Array<Record<string, unknown>> = []
  if (!opts['no-train']) {
    for (const [threads, shims] of [
      [1, 'full'],
      [2, 'full'],
      [1, 'min']
    ] as const)
      train.push(spawnTrain(threads, shims))
    console.log('\nSlim ResNet (32-64-128-256, ImageNet stem) training, 48x48x1, batch 32, Adam, wasm')
    console.log('| threads | shims | ms/step | img/s | layer 3x3 64->64 @28 fwd+dX+dW ms | others (cores) |')
    console.log('|---|---|---|---|---|---|')
    for (const r of train) {
      if (r.error) console.log(`| ${r.threads} | ${r.shims} | failed: ${String(r.error)} | | | |`)
      else
        console.log(
          `| ${r.threads} | ${r.shims} | ${(r.msPerStep as number).toFixed(0)} | ${(r.imgPerSec as number).toFixed(1)} | ${fmt(r.layer28)} | ${((r.others as number) ?? NaN).toFixed(2)} |`
        )
    }
  }
  const outDir = join(ROOT, 'bench-results')
  mkdirSync(outDir, { recursive: true })
  const file = join(outDir, 'kernels.json')
  writeFileSync(
    file,
    JSON.stringify(
      {
        date: new Date().toISOString(),
        quick: QUICK,
        compute: describeCompute(info),
        node: process.version,
        tfjs: tf.version.tfjs,
        cpus: os.cpus().length,
        cpuModel: os.cpus()[0]?.model,
        loadavg: os.loadavg(),
        layers,
        kernels: others,
        train
      },
      null,
      2
    )
  )
  console.log(`\nwrote ${file}`)
}

main().catch((e: unknown) => {
  console.error(e)
  process.exit(1)
})
