// What `poi-audit doctor` (and the Train page) report about the compute engines of this machine: which
// are installed and load, which one runs and why, TensorFlow's version, threads, GPU, memory, and what
// would make training faster. Loading an engine is the only reliable test, so this initialises compute
// (once per process, like any training run) — the CLI runs it in its own process.
import { availableParallelism, cpus, freemem, totalmem } from 'node:os'
import { createRequire } from 'node:module'
import { BACKEND_ORDER, initCompute, type ComputeBackend, type ComputeInfo, type ComputeOptions } from './backend'
import { nativeAddonPresent, nativePackageDir, readNativeSetupStatus, type NativeSetupStatus } from './native'
import { tf } from './tf'
import { DOCTOR_FORMAT, DOCTOR_VERSION, gpuText, type DoctorReport, type EngineRow } from './doctor-report'

export { DOCTOR_FORMAT, DOCTOR_VERSION } from './doctor-report'
export type { DoctorReport, EngineRow } from './doctor-report'

const require_ = createRequire(import.meta.url)

function installed(name: ComputeBackend): boolean {
  if (name === 'wasm' || name === 'cpu') return true
  try {
    require_.resolve(name === 'tfjs-node' ? '@tensorflow/tfjs-node' : '@tensorflow/tfjs-node-gpu')
    return true
  } catch {
    return false
  }
}

function tensorflowVersion(info: ComputeInfo): string | null {
  if (info.tfBackend !== 'tensorflow') return null
  const be = tf.backend() as unknown as { binding?: { TF_Version?: string } }
  return be.binding?.TF_Version ?? null
}

/** Advice for a faster engine, given what runs. Docs only for GPUs: nothing here can test one. */
export function adviceFor(
  engine: ComputeBackend,
  gpu: boolean | null,
  native: NativeSetupStatus | null,
  hasNativePkg: boolean
): string[] {
  const out: string[] = []
  if (engine === 'wasm' || engine === 'cpu') {
    if (!hasNativePkg)
      out.push(
        'Install the native engine: `npm install @tensorflow/tfjs-node@4.22.0`, then `npm run setup:native` (2–4× faster training than wasm).'
      )
    else if (native && !native.ok)
      out.push(
        `The native engine is installed but not set up (${native.reason ?? 'unknown reason'}). Run \`npm run setup:native\`; it needs either internet access (tfjs-node's own download) or pip with the tensorflow-cpu wheel, unzip, g++ and make.`
      )
    else out.push('Run `npm run setup:native` to build the native engine (2–4× faster training than wasm).')
  }
  if (engine !== 'tfjs-node-gpu' || gpu === false) {
    out.push(
      'For an NVIDIA GPU: install @tensorflow/tfjs-node-gpu@4.22.0 (its own download is libtensorflow 2.9.1 for CUDA 11.2, too old for H100/H200-class cards), ' +
        'or apply the same recipe as scripts/native-tf.mjs to a GPU-enabled TensorFlow Linux wheel with its CUDA libraries (POI_TF_WHEEL=…). Untested here: no GPU on these machines.'
    )
  }
  if (engine === 'tfjs-node' && availableParallelism() > 1) {
    out.push('Threads: TF_NUM_INTRAOP_THREADS=<n> before starting overrides the automatic choice (one per free core).')
  }
  return out
}

/** Initialises compute (auto unless opts.backend says otherwise) and reports on every engine. */
export async function diagnoseCompute(opts: ComputeOptions = {}): Promise<DoctorReport> {
  const info = await initCompute(opts)
  const engines: EngineRow[] = BACKEND_ORDER.map((name) => {
    const tried = info.tried.find((t) => t.name === name)
    const inst = installed(name)
    if (name === info.backend) return { name, installed: inst, state: 'runs', detail: null }
    if (!inst) return { name, installed: false, state: 'not installed', detail: tried?.error ?? 'not installed' }
    if (tried && !tried.ok) return { name, installed: true, state: 'failed', detail: tried.error ?? null }
    return { name, installed: true, state: 'not tried', detail: 'a faster engine runs' }
  })
  const pkg = nativePackageDir()
  const native = readNativeSetupStatus(pkg)
  const warnings = [...info.warnings]
  if (pkg && !nativeAddonPresent(pkg) && info.backend !== 'tfjs-node') warnings.push('the tfjs-node addon is not built')
  const c = cpus()
  return {
    format: DOCTOR_FORMAT,
    version: DOCTOR_VERSION,
    engine: info.backend,
    reason: info.reason,
    engines,
    tensorflowVersion: tensorflowVersion(info),
    tfjsVersion: tf.version.tfjs,
    threads: info.threads,
    threadsWhy: info.threadsWhy ?? null,
    gpu: info.gpu,
    cpu: { model: c[0]?.model?.trim() ?? 'unknown', cores: availableParallelism() },
    memory: { total: totalmem(), free: freemem(), processRss: process.memoryUsage().rss },
    nativeSetup: native,
    advice: adviceFor(info.backend, info.gpu, native, pkg != null),
    warnings
  }
}

const gib = (b: number): string => `${(b / 2 ** 30).toFixed(1)} GiB`

/** The report as lines for a terminal. */
export function formatDoctor(r: DoctorReport): string {
  const lines = [
    `engine: ${r.engine} — ${r.reason}`,
    `TensorFlow: ${r.tensorflowVersion ?? '(not native)'}; tfjs ${r.tfjsVersion}`,
    `threads: ${r.threads ?? '?'}${r.threadsWhy ? ` (${r.threadsWhy})` : ''}`,
    `GPU: ${gpuText(r.gpu)}`,
    `CPU: ${r.cpu.model}, ${r.cpu.cores} cores; memory ${gib(r.memory.total)} total, ${gib(r.memory.free)} free; this process ${gib(r.memory.processRss)}`,
    `native set-up: ${r.nativeSetup ? (r.nativeSetup.ok ? `ok (${r.nativeSetup.method}, TensorFlow ${r.nativeSetup.tfVersion ?? '?'}, ${r.nativeSetup.at})` : `failed: ${r.nativeSetup.reason}`) : 'never ran (npm run setup:native)'}`,
    'engines:'
  ]
  for (const e of r.engines) lines.push(`  ${e.name.padEnd(14)} ${e.state}${e.detail ? ` — ${e.detail}` : ''}`)
  if (r.warnings.length) lines.push('warnings:', ...r.warnings.map((w) => `  ${w}`))
  if (r.advice.length) lines.push('for a faster engine:', ...r.advice.map((a) => `  - ${a}`))
  return lines.join('\n') + '\n'
}
