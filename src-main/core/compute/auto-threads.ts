// How many XNNPACK threads `threads: 'auto'` gives the wasm backend.
//
// Why load-aware rather than a constant: XNNPACK splits each layer across its pool and waits for the
// slowest thread, so a thread that shares its core with another process holds every layer back. Measured
// on the 2-vCPU target with `npm run bench:speed -- --quick` (docs/compute-defaults.md): on an idle
// machine 2 threads trained the CPU default (frozen landmark map + POI heads, 48 px) at 161 img/s against
// 113 with 1 (1.42×; scoring 1.45×, the fast slim ResNet 1.10×, ResNet-18 1.08×); with one core busy
// elsewhere 2 threads ran at 50.5 img/s against 62.4 (0.81×). So auto counts the cores that are free now.
import { availableParallelism, loadavg } from 'node:os'

/** What auto looks at. */
export interface MachineLoad {
  /** Logical cores (os.availableParallelism()). */
  cores: number
  /** 1-minute load average (os.loadavg()[0]): runnable processes, averaged; 0 on Windows. */
  load1: number
}

/** Above this auto does not go: more than 2 threads was never measured here. */
export const AUTO_THREADS_MAX = 4

/** The machine as it is now. */
export function currentMachineLoad(): MachineLoad {
  return { cores: availableParallelism(), load1: loadavg()[0] }
}

/** The auto thread count and a few words on why, for the backend report. */
export interface AutoThreads {
  threads: number
  why: string
}

/**
 * One thread per core that is free (cores − 1-min load, rounded to the nearest integer), at least 1 and
 * at most min(AUTO_THREADS_MAX, cores). The load average lags by up to a minute: a job started seconds
 * ago is not seen yet, which is why the choice and its inputs are reported with the backend.
 */
export function autoWasmThreads(m: MachineLoad): AutoThreads {
  if (!(Number.isFinite(m.cores) && m.cores >= 1)) throw new Error(`autoWasmThreads: cores must be ≥ 1, got ${m.cores}`)
  const load = Number.isFinite(m.load1) && m.load1 > 0 ? m.load1 : 0
  const free = Math.max(0, m.cores - load)
  const threads = Math.max(1, Math.min(AUTO_THREADS_MAX, Math.floor(m.cores), Math.round(free)))
  return { threads, why: `auto: ${free.toFixed(1)} of ${m.cores} cores free (1-min load ${load.toFixed(2)})` }
}
