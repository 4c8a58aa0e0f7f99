// Choosing the TensorFlow.js backend for this process: tfjs-node-gpu → tfjs-node → wasm (+ shims) → cpu.
//
// tfjs-node is a dependency whose native part is installed by scripts/native-tf.mjs (postinstall; its own
// download is refused offline, so the addon is built against the tensorflow-cpu wheel); tfjs-node-gpu is
// optional. Both are imported by name at run time and chosen automatically where they load.
// All of them register into the one tfjs instance exported by ./tf.
import { createRequire } from 'node:module'
import { existsSync } from 'node:fs'
import { join, resolve, sep } from 'node:path'
import { tf, type TF, type TfBackendName } from './tf'
import { installCpuShims, installWasmShims, type WasmShimOptions } from './wasm-shims'
import { enableWasmThreadsInNode, type ThreadsPatch } from './wasm-threads'
import { autoWasmThreads, measureMachineLoad, type MachineLoad } from './auto-threads'
import { chooseNativeThreads, nativeSetupFailure } from './native'

import type { ComputeBackend } from './doctor-report'

export type { ComputeBackend }
/** The backends the app knows, fastest first. */
export const BACKEND_ORDER: readonly ComputeBackend[] = ['tfjs-node-gpu', 'tfjs-node', 'wasm', 'cpu']

/** The subset of '@tensorflow/tfjs-backend-wasm' that initCompute uses. */
export interface WasmBackendModule {
  setWasmPaths(prefixOrFileMap: string | Record<string, string>, usePlatformFetch?: boolean): void
  setThreadsCount(n: number): void
  getThreadsCount(): number
}

/**
 * How each backend's package is imported. Tests inject replacements; the defaults import the real packages.
 * A loader that finds its package missing should throw a BackendNotInstalledError (or Node's
 * MODULE_NOT_FOUND error naming the package), which is reported as "not installed".
 */
export interface ComputeLoaders {
  /** Imports '@tensorflow/tfjs-node-gpu', which registers the 'tensorflow' backend as a side effect. */
  'tfjs-node-gpu': () => Promise<unknown>
  /** Imports '@tensorflow/tfjs-node', which registers the 'tensorflow' backend as a side effect. */
  'tfjs-node': () => Promise<unknown>
  /** Imports '@tensorflow/tfjs-backend-wasm' (registers the 'wasm' backend). */
  wasm: () => Promise<WasmBackendModule>
}

export interface ComputeOptions {
  /** 'auto' (default) tries BACKEND_ORDER; a name uses that backend or throws ComputeError. */
  backend?: 'auto' | ComputeBackend
  /**
   * Compute threads. wasm: XNNPACK threads, > 1 enables the experimental Node threads. tfjs-node(-gpu):
   * TensorFlow's intra-op threads (TF_NUM_INTRAOP_THREADS, read once when the library loads; an explicit
   * environment variable wins). 'auto' (default): one per free core, see autoWasmThreads (auto-threads.ts).
   */
  threads?: number | 'auto'
  /** The machine as threads: 'auto' sees it; default measured (cores, load, a short CPU sample). Tests inject it. */
  machine?: MachineLoad
  /** Folder with the tfjs-backend-wasm*.wasm binaries; default env POI_WASM_DIR, else the npm package's dist/. */
  wasmDir?: string
  /** Options for the wasm kernel shims. */
  shims?: WasmShimOptions
  /** Replacements for the package imports (tests). */
  loaders?: Partial<ComputeLoaders>
}

export interface TriedBackend {
  name: ComputeBackend
  ok: boolean
  /** Why it was not used: 'not installed', 'load error: …', 'init failed: …', 'skipped: …'. */
  error?: string
}

/** The outcome of initCompute: which backend runs tensors in this process, and why. */
export interface ComputeInfo {
  backend: ComputeBackend
  /** The name tfjs knows the backend by. */
  tfBackend: TfBackendName
  /** One human sentence: why this backend. */
  reason: string
  /** Every backend considered, in order, with why it failed. */
  tried: TriedBackend[]
  /**
   * Compute threads: XNNPACK's pool for wasm, TensorFlow's intra-op pool for tfjs-node(-gpu), 1 for cpu; null if
   * unknown.
   */
  threads: number | null
  /**
   * wasm and native: how the thread count was chosen, e.g. 'auto: 1.9 of 2 cores free (1-min load 0.06)' or
   * 'requested'.
   */
  threadsWhy?: string
  /** wasm only: whether the SIMD binary runs (null for other backends). */
  simd: boolean | null
  /** tfjs-node-gpu only: whether TensorFlow reports a GPU device in use (null when not applicable/unknown). */
  gpu: boolean | null
  /** Names of the kernel shims installed (e.g. 'Conv2DBackpropFilter(conv)'). */
  shims: string[]
  /** Where the wasm binaries came from (null unless wasm). */
  wasmDir: string | null
  /** Things the user should know that did not stop the choice (e.g. threads could not be enabled). */
  warnings: string[]
  /** The tfjs namespace, with this backend active. */
  tf: TF
}

/** A backend was asked for by name and cannot be used, or initCompute was called with conflicting options. */
export class ComputeError extends Error {
  constructor(
    message: string,
    readonly tried: TriedBackend[] = []
  ) {
    super(message)
    this.name = 'ComputeError'
  }
}

/** Thrown by a loader whose package is absent. */
export class BackendNotInstalledError extends Error {
  constructor(readonly packageName: string) {
    super(`${packageName} is not installed`)
    this.name = 'BackendNotInstalledError'
  }
}

const PACKAGES: Record<'tfjs-node-gpu' | 'tfjs-node', string> = {
  'tfjs-node-gpu': '@tensorflow/tfjs-node-gpu',
  'tfjs-node': '@tensorflow/tfjs-node'
}

const require_ = createRequire(import.meta.url)

function resolvable(name: string): boolean {
  try {
    require_.resolve(name)
    return true
  } catch {
    return false
  }
}

/** Imports an optional package, telling "not installed" apart from "installed but broken". */
async function importOptional(name: string): Promise<unknown> {
  try {
    require_.resolve(name)
  } catch {
    throw new BackendNotInstalledError(name)
  }
  return import(/* @vite-ignore */ name)
}

export const defaultLoaders: ComputeLoaders = {
  'tfjs-node-gpu': () => importOptional(PACKAGES['tfjs-node-gpu']),
  'tfjs-node': () => importOptional(PACKAGES['tfjs-node']),
  wasm: () => import('@tensorflow/tfjs-backend-wasm') as Promise<WasmBackendModule>
}

/** The folder holding the .wasm binaries: option, else env POI_WASM_DIR, else the installed package's dist/. */
export function resolveWasmDir(explicit?: string): string {
  const dir = explicit ?? process.env.POI_WASM_DIR
  if (dir) return resolve(dir)
  return join(require_.resolve('@tensorflow/tfjs-backend-wasm/package.json'), '..', 'dist')
}

let current: Promise<ComputeInfo> | null = null
let currentInfo: ComputeInfo | null = null

/**
 * Picks and initialises the backend once per process; later calls return the same ComputeInfo. A later call
 * that names a different backend throws (tfjs has one engine per process; restart to switch). A failed
 * call is not cached, so it can be retried with other options.
 */
export async function initCompute(opts: ComputeOptions = {}): Promise<ComputeInfo> {
  if (!current) {
    current = selectBackend(opts).then(
      (info) => (currentInfo = info),
      (err: unknown) => {
        current = null
        throw err
      }
    )
  }
  const info = await current
  const want = opts.backend ?? 'auto'
  if (want !== 'auto' && want !== info.backend) {
    throw new ComputeError(
      `compute is already initialised with backend ${info.backend} in this process; restart to use ${want}`,
      info.tried
    )
  }
  return info
}

/** The info of the finished initCompute, or null before it (or after a failure). */
export function currentCompute(): ComputeInfo | null {
  return currentInfo
}

/**
 * Forgets the cached choice so the next initCompute selects again. Backends stay registered and initialised
 * in tfjs; this exists for tests and for a settings change made before any model holds tensors.
 */
export function resetCompute(): void {
  current = null
  currentInfo = null
}

async function selectBackend(opts: ComputeOptions): Promise<ComputeInfo> {
  const want = opts.backend ?? 'auto'
  if (want !== 'auto' && !BACKEND_ORDER.includes(want)) {
    throw new ComputeError(`unknown backend '${String(want)}'; use one of auto, ${BACKEND_ORDER.join(', ')}`)
  }
  const t = opts.threads
  if (t != null && t !== 'auto' && !(Number.isInteger(t) && t >= 1 && t <= 8)) {
    throw new ComputeError(`threads must be 'auto' or an integer 1..8, got ${String(t)}`)
  }
  const loaders: ComputeLoaders = { ...defaultLoaders, ...opts.loaders }
  const candidates = want === 'auto' ? BACKEND_ORDER : [want]
  const tried: TriedBackend[] = []
  for (const name of candidates) {
    try {
      const partial = await tryBackend(name, loaders, opts)
      tried.push({ name, ok: true })
      const reason = explain(name, want, tried, partial)
      return { ...partial, backend: name, tried, reason, tf }
    } catch (e) {
      tried.push({ name, ok: false, error: failureText(e) })
    }
  }
  const last = tried[tried.length - 1]
  if (want !== 'auto') {
    throw new ComputeError(
      `backend '${want}' was requested but cannot be used: ${want} ${last.error}${installHint(want, last.error)}`,
      tried
    )
  }
  throw new ComputeError(
    `no TensorFlow.js backend could be initialised: ${tried.map((t) => `${t.name} ${t.error}`).join('; ')}`,
    tried
  )
}

/** What initialising one backend yields; selectBackend adds the name, the tried list and the reason. */
type BackendSetup = Omit<ComputeInfo, 'backend' | 'tried' | 'reason' | 'tf'>

async function tryBackend(name: ComputeBackend, loaders: ComputeLoaders, opts: ComputeOptions): Promise<BackendSetup> {
  if (name === 'tfjs-node-gpu' || name === 'tfjs-node') return tryTensorflow(name, loaders[name], opts)
  if (name === 'wasm') return tryWasm(loaders.wasm, opts)
  if (!(await setBackendReporting('cpu'))) throw new InitError('the cpu backend did not initialise')
  return {
    tfBackend: 'cpu',
    threads: 1,
    simd: null,
    gpu: null,
    shims: installCpuShims(tf),
    wasmDir: null,
    warnings: []
  }
}

class InitError extends Error {}

async function tryTensorflow(
  name: 'tfjs-node-gpu' | 'tfjs-node',
  load: () => Promise<unknown>,
  opts: ComputeOptions
): Promise<BackendSetup> {
  // A failed tfjs-node-gpu attempt may have left its 'tensorflow' factory registered; tfjs-node must register its own.
  if (name === 'tfjs-node' && tf.findBackendFactory('tensorflow')) {
    if (tf.getBackend() === 'tensorflow') throw new InitError('another tensorflow binding is already active')
    tf.removeBackend('tensorflow')
  }
  // Measuring the machine takes a moment: not for a package that is not there.
  if (load === defaultLoaders[name] && !resolvable(PACKAGES[name])) throw new BackendNotInstalledError(PACKAGES[name])
  const th = await chooseNativeThreads(opts)
  try {
    await load()
  } catch (e) {
    const setup = name === 'tfjs-node' ? nativeSetupFailure() : null
    if (setup && !(e instanceof BackendNotInstalledError)) throw new InitError(setup)
    throw e
  }
  if (!tf.findBackendFactory('tensorflow')) {
    throw new InitError(
      `${PACKAGES[name]} loaded but did not register a 'tensorflow' backend with this app's tfjs ` +
        `(a second copy of @tensorflow/tfjs? its version must be ${tf.version.tfjs})`
    )
  }
  if (!(await setBackendReporting('tensorflow')))
    throw new InitError(lastWarning ?? 'tf.setBackend(tensorflow) returned false')
  const be = tf.backend() as unknown as { isUsingGpuDevice?: boolean }
  const gpu = name === 'tfjs-node-gpu' && typeof be.isUsingGpuDevice === 'boolean' ? be.isUsingGpuDevice : null
  return {
    tfBackend: 'tensorflow',
    threads: th.threads,
    threadsWhy: th.why,
    simd: null,
    gpu,
    shims: [],
    wasmDir: null,
    warnings: th.warnings
  }
}

function wasmBinaryName(simd: boolean, threaded: boolean): string {
  if (simd && threaded) return 'tfjs-backend-wasm-threaded-simd.wasm'
  return simd ? 'tfjs-backend-wasm-simd.wasm' : 'tfjs-backend-wasm.wasm'
}

async function tryWasm(load: () => Promise<WasmBackendModule>, opts: ComputeOptions): Promise<BackendSetup> {
  const wasm = await load()
  const warnings: string[] = []
  const wasmDir = resolveWasmDir(opts.wasmDir)
  const simd = Boolean(await tf.env().getAsync('WASM_HAS_SIMD_SUPPORT'))
  const alreadyUp = tf.engine().registry['wasm'] != null
  const wantsAuto = opts.threads === 'auto' || opts.threads == null
  // Sampling takes a moment, so only when the thread count can still change.
  const auto = wantsAuto && !alreadyUp ? autoWasmThreads(opts.machine ?? (await measureMachineLoad())) : null
  let threads = auto ? auto.threads : wantsAuto ? 1 : (opts.threads as number)
  if (alreadyUp && threads > 1) {
    warnings.push(`wasm was already initialised in this process; the thread count cannot change now`)
    threads = 1
  }
  if (threads > 1 && !simd) {
    warnings.push('no wasm SIMD support, so the threaded binary cannot be used: 1 thread')
    threads = 1
  }
  if (auto && threads > 1 && !existsSync(join(wasmDir, wasmBinaryName(simd, true)))) {
    // A build that ships only the single-threaded binaries still runs; an explicit count fails below instead.
    warnings.push(`auto would use ${threads} threads, but ${wasmBinaryName(simd, true)} is not in ${wasmDir}: 1 thread`)
    threads = 1
  }
  if (!alreadyUp) {
    const binary = join(wasmDir, wasmBinaryName(simd, threads > 1))
    if (!existsSync(binary))
      throw new InitError(
        `wasm binary not found: ${binary} (set POI_WASM_DIR to the folder holding tfjs-backend-wasm*.wasm)`
      )
    try {
      wasm.setWasmPaths(wasmDir.endsWith(sep) ? wasmDir : wasmDir + sep)
    } catch (e) {
      // tfjs-backend-wasm refuses once an init has aborted; that state lasts for the process.
      throw new InitError(
        `an earlier wasm initialisation in this process failed; restart to retry (${(e as Error).message})`
      )
    }
  }
  let patch: ThreadsPatch | null = null
  if (threads > 1) {
    try {
      patch = enableWasmThreadsInNode(wasm, threads, wasmDir)
    } catch (e) {
      warnings.push(`wasm threads not enabled (${(e as Error).message}): 1 thread`)
      tf.env().set('WASM_HAS_MULTITHREAD_SUPPORT', false)
    }
  }
  let ok: boolean
  try {
    ok = await setBackendReporting('wasm')
  } finally {
    patch?.restore()
  }
  if (!ok) throw new InitError(lastWarning ?? 'tf.setBackend(wasm) returned false')
  const actual = wasm.getThreadsCount()
  if (threads > 1 && actual !== threads) warnings.push(`asked for ${threads} wasm threads, XNNPACK runs ${actual}`)
  const threadsWhy = auto ? auto.why : wantsAuto ? 'auto: wasm was already initialised in this process' : 'requested'
  return {
    tfBackend: 'wasm',
    threads: actual,
    threadsWhy,
    simd,
    gpu: null,
    shims: installWasmShims(tf, opts.shims),
    wasmDir,
    warnings
  }
}

let lastWarning: string | null = null

/** tf.setBackend, keeping the failure text tfjs only prints (engine.initializeBackend logs and returns false). */
async function setBackendReporting(name: string): Promise<boolean> {
  lastWarning = null
  const saved = console.warn
  const seen: string[] = []
  console.warn = (...args: unknown[]) => {
    seen.push(args.map(String).join(' '))
  }
  try {
    const ok = await tf.setBackend(name)
    if (!ok)
      lastWarning =
        seen
          .filter((s) => !/^Initialization of backend/.test(s))
          .join(' ')
          .split('\n')[0] ||
        seen.join(' ') ||
        null
    else seen.forEach((s) => saved(s))
    return ok
  } finally {
    console.warn = saved
  }
}

function failureText(e: unknown): string {
  if (e instanceof BackendNotInstalledError) return 'not installed'
  const err = e as NodeJS.ErrnoException
  const msg = (err && err.message) || String(e)
  if ((err?.code === 'ERR_MODULE_NOT_FOUND' || err?.code === 'MODULE_NOT_FOUND') && /@tensorflow\/tfjs-node/.test(msg))
    return 'not installed'
  if (e instanceof InitError || e instanceof ComputeError) return `init failed: ${msg}`
  return `load error: ${msg.split('\n')[0]}`
}

function installHint(name: ComputeBackend, error: string | undefined): string {
  if (error !== 'not installed' || (name !== 'tfjs-node' && name !== 'tfjs-node-gpu')) return ''
  return ` (install it with: npm install ${PACKAGES[name]}@${tf.version.tfjs})`
}

function explain(name: ComputeBackend, want: 'auto' | ComputeBackend, tried: TriedBackend[], p: BackendSetup): string {
  const failed = tried.filter((t) => !t.ok).map((t) => `${t.name} ${t.error}`)
  const why =
    want !== 'auto'
      ? 'requested explicitly'
      : failed.length
        ? `the faster ones are unavailable (${failed.join('; ')})`
        : 'it is the fastest backend'
  switch (name) {
    case 'tfjs-node-gpu':
      return p.gpu === false
        ? `tfjs-node-gpu: ${why}; TensorFlow found no usable CUDA GPU and runs on the CPU`
        : `tfjs-node-gpu (native TensorFlow with CUDA): ${why}`
    case 'tfjs-node':
      return `tfjs-node (native TensorFlow, ${p.threads ?? '?'} intra-op thread${p.threads === 1 ? '' : 's'}${p.threadsWhy ? ` [${p.threadsWhy}]` : ''}): ${why}`
    case 'wasm':
      return `wasm (XNNPACK${p.simd ? ' SIMD' : ''}, ${p.threads} thread${p.threads === 1 ? '' : 's'}${p.threadsWhy ? ` [${p.threadsWhy}]` : ''}, training shims): ${why}`
    case 'cpu':
      return `cpu (pure JavaScript, 10–200x slower than wasm for training): ${why}`
  }
}

/**
 * One line for the CLI and the UI, e.g. "backend wasm (SIMD, 1 thread) — tfjs-node-gpu not installed, tfjs-node not
 * installed".
 */
export function describeCompute(info: ComputeInfo): string {
  const details: string[] = []
  if (info.backend === 'wasm') {
    details.push(info.simd ? 'SIMD' : 'no SIMD', `${info.threads} thread${info.threads === 1 ? '' : 's'}`)
  } else if (info.backend === 'cpu') {
    details.push('pure JS, slow')
  } else if (info.gpu === false) {
    details.push('no GPU visible')
  }
  if (info.tfBackend === 'tensorflow' && info.threads != null) {
    details.push(`${info.threads} thread${info.threads === 1 ? '' : 's'}`)
  }
  const head = `backend ${info.backend}${details.length ? ` (${details.join(', ')})` : ''}`
  const notes = [...info.tried.filter((t) => !t.ok).map((t) => `${t.name} ${t.error}`), ...info.warnings]
  return notes.length ? `${head} — ${notes.join(', ')}` : head
}
