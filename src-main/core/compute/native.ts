// The native TensorFlow engine (@tensorflow/tfjs-node): its thread pool and what its set-up recorded.
//
// TensorFlow reads TF_NUM_INTRAOP_THREADS / TF_NUM_INTEROP_THREADS once, when the library loads, and the
// binding has no thread API. So the count is chosen (like wasm's 'auto': one per free core) and written
// to the environment just before the first import of the package; an explicit environment variable set
// by the user wins, and once loaded the count cannot change for the life of the process.
import { createRequire } from 'node:module'
import { existsSync, readFileSync } from 'node:fs'
import { dirname, join } from 'node:path'
import { autoWasmThreads, measureMachineLoad, type MachineLoad } from './auto-threads'
import type { NativeSetupStatus } from './doctor-report'

export type { NativeSetupStatus } from './doctor-report'

const require_ = createRequire(import.meta.url)

/** The installed @tensorflow/tfjs-node folder, or null. */
export function nativePackageDir(): string | null {
  try {
    return dirname(require_.resolve('@tensorflow/tfjs-node/package.json'))
  } catch {
    return null
  }
}

/** The status file of the last native set-up, or null when none was written (or it is unreadable). */
export function readNativeSetupStatus(pkg: string | null = nativePackageDir()): NativeSetupStatus | null {
  if (!pkg) return null
  const file = join(pkg, 'poi-native-status.json')
  if (!existsSync(file)) return null
  try {
    const s = JSON.parse(readFileSync(file, 'utf8')) as NativeSetupStatus
    return s.format === 'poi-audit-native-tf-status' && s.version === 1 ? s : null
  } catch {
    return null
  }
}

/** Whether the addon file exists (the package alone, without deps/ and the addon, cannot load). */
export function nativeAddonPresent(pkg: string | null = nativePackageDir()): boolean {
  if (!pkg) return false
  const napi = join(pkg, 'lib', `napi-v${process.versions.napi}`, 'tfjs_binding.node')
  return existsSync(napi) || existsSync(join(pkg, 'lib', 'napi-v8', 'tfjs_binding.node'))
}

/**
 * Why tfjs-node cannot load, in the user's words, when the set-up says so; null when the set-up
 * reported success or never ran (then the load error itself is the best explanation).
 */
export function nativeSetupFailure(pkg: string | null = nativePackageDir()): string | null {
  if (!pkg) return null
  const s = readNativeSetupStatus(pkg)
  if (s && !s.ok)
    return `the native set-up did not complete (${s.reason ?? 'no reason recorded'}); run \`npm run setup:native\``
  if (!nativeAddonPresent(pkg)) return 'the tfjs-node addon is not built; run `npm run setup:native`'
  return null
}

export interface NativeThreads {
  /** Intra-op threads TensorFlow will use (null when unknown: the library was loaded elsewhere first). */
  threads: number | null
  why: string
  warnings: string[]
}

let loadedWith: NativeThreads | null = null

/**
 * Sets TF_NUM_INTRAOP_THREADS (and inter-op 1: our graphs are one op chain, and a second pool only
 * competes for the same 2 cores) before the first load. Returns the count and why.
 */
export async function chooseNativeThreads(
  opts: { threads?: number | 'auto'; machine?: MachineLoad },
  env: NodeJS.ProcessEnv = process.env
): Promise<NativeThreads> {
  if (loadedWith) {
    const want = opts.threads
    const warnings =
      typeof want === 'number' && want !== loadedWith.threads
        ? [`TensorFlow was already loaded with ${loadedWith.threads} threads in this process; restart to use ${want}`]
        : []
    return { ...loadedWith, warnings }
  }
  const fromEnv = Number(env.TF_NUM_INTRAOP_THREADS)
  let result: NativeThreads
  if (env.TF_NUM_INTRAOP_THREADS && Number.isInteger(fromEnv) && fromEnv >= 1) {
    result = { threads: fromEnv, why: `TF_NUM_INTRAOP_THREADS=${fromEnv} from the environment`, warnings: [] }
  } else if (typeof opts.threads === 'number') {
    result = { threads: opts.threads, why: 'requested', warnings: [] }
  } else {
    const auto = autoWasmThreads(opts.machine ?? (await measureMachineLoad()))
    result = { threads: auto.threads, why: auto.why, warnings: [] }
  }
  env.TF_NUM_INTRAOP_THREADS = String(result.threads)
  if (!env.TF_NUM_INTEROP_THREADS) env.TF_NUM_INTEROP_THREADS = '1'
  // oneDNN's informational lines are noise in a CLI; errors still print.
  if (!env.TF_CPP_MIN_LOG_LEVEL) env.TF_CPP_MIN_LOG_LEVEL = '2'
  loadedWith = result
  return result
}
