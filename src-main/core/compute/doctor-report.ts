/**
 * The shape of `poi-audit doctor --json` (format poi-audit-doctor, version 1), with no run-time
 * dependencies: the API contract and the renderer import these types without pulling in TensorFlow.
 * The report itself is measured by doctor.ts.
 */

/** The backends the app knows (BACKEND_ORDER in backend.ts lists them fastest first). */
export type ComputeBackend = 'tfjs-node-gpu' | 'tfjs-node' | 'wasm' | 'cpu'

/** What scripts/native-tf.mjs records after `npm ci` / `npm run setup:native` (format checked on read). */
export interface NativeSetupStatus {
  format: 'poi-audit-native-tf-status'
  version: 1
  /** ISO time of the set-up. */
  at: string
  ok: boolean
  /** 'tfjs-node download', 'built from the tensorflow-cpu wheel', 'existing', or null when it failed. */
  method: string | null
  tfVersion?: string
  wheel?: string
  reason?: string
  seconds?: number
}

export const DOCTOR_FORMAT = 'poi-audit-doctor'
export const DOCTOR_VERSION = 1

export interface EngineRow {
  name: ComputeBackend
  /** The npm package is present (wasm and cpu ship with the app). */
  installed: boolean
  /** It initialised in this process (only the chosen one is initialised; the others are 'not tried'). */
  state: 'runs' | 'failed' | 'not tried' | 'not installed'
  /** Why it failed or was skipped, in words. */
  detail: string | null
}

export interface DoctorReport {
  format: typeof DOCTOR_FORMAT
  version: typeof DOCTOR_VERSION
  /** The engine this process trains on. */
  engine: ComputeBackend
  /** One sentence: why this engine. */
  reason: string
  engines: EngineRow[]
  /** TensorFlow C library version behind tfjs-node(-gpu), e.g. '2.21.0'; null on wasm/cpu. */
  tensorflowVersion: string | null
  tfjsVersion: string
  /** Compute threads and how they were chosen. */
  threads: number | null
  threadsWhy: string | null
  /** Whether TensorFlow uses a CUDA GPU (null: not a GPU engine). */
  gpu: boolean | null
  cpu: { model: string; cores: number }
  /** Bytes. */
  memory: { total: number; free: number; processRss: number }
  /** What scripts/native-tf.mjs recorded at install (null: it never ran here). */
  nativeSetup: NativeSetupStatus | null
  /** Things to do for a faster engine, most useful first. */
  advice: string[]
  warnings: string[]
}

/** The GPU line of the report in words (the CLI and the Train page say the same). */
export function gpuText(gpu: boolean | null): string {
  return gpu == null ? 'not a GPU engine' : gpu ? 'CUDA GPU in use' : 'none visible (TensorFlow runs on the CPU)'
}
