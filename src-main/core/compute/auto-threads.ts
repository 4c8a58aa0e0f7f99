// How many XNNPACK threads `threads: 'auto'` gives the wasm backend.
//
// Why load-aware rather than a constant: XNNPACK splits each layer across its pool and waits for the
// slowest thread, so a thread that shares its core with another process holds every layer back. Measured
// on the 2-vCPU target with `npm run bench:speed -- --quick` (docs/compute-defaults.md): on an idle
// machine 2 threads trained the CPU default (frozen landmark map + POI heads, 48 px) at 161 img/s against
// 113 with 1 (1.42×; scoring 1.45×, the fast slim ResNet 1.10×, ResNet-18 1.08×); with one core busy
// elsewhere 2 threads ran at 50.5 img/s against 62.4 (0.81×). So auto counts the cores that are free now.
//
// Why a short sample rather than the load average alone: the 1-minute load counts this process too (the
// import or feature extraction it just ran) and lags by up to a minute, so `poi-audit demo` on an idle
// machine saw 1.4 free cores and took 1 thread. The sample measures what other processes use right now,
// with this process's own CPU (all its threads) subtracted.
import { availableParallelism, cpus, loadavg } from 'node:os'

/** What auto looks at. */
export interface MachineLoad {
  /** Logical cores (os.availableParallelism()). */
  cores: number
  /** 1-minute load average (os.loadavg()[0]), this process included; 0 on Windows. */
  load1: number
  /** Cores other processes kept busy during a short sample (this process excluded); preferred when present. */
  others?: number
  /** Length of that sample, ms. */
  sampleMs?: number
}

/** Above this auto does not go: more than 2 threads was never measured here. */
export const AUTO_THREADS_MAX = 4

/** A point-in-time CPU account: busy ms of the whole machine, CPU ms of this process, wall ms. */
export interface CpuSnapshot {
  machineBusyMs: number
  ownMs: number
  wallMs: number
}

export function cpuSnapshot(): CpuSnapshot {
  let busy = 0
  for (const c of cpus()) busy += c.times.user + c.times.nice + c.times.sys + c.times.irq
  const u = process.cpuUsage()
  return { machineBusyMs: busy, ownMs: (u.user + u.system) / 1000, wallMs: performance.now() }
}

/** Cores other processes used between two snapshots: (machine busy − own CPU) / wall time, at least 0. */
export function othersBetween(a: CpuSnapshot, b: CpuSnapshot): number {
  const wall = b.wallMs - a.wallMs
  if (!(wall > 0)) return 0
  return Math.max(0, (b.machineBusyMs - a.machineBusyMs - (b.ownMs - a.ownMs)) / wall)
}

/** The machine as it is now: cores, load average, and what others use over a `sampleMs` sample. */
export async function measureMachineLoad(sampleMs = 400): Promise<MachineLoad> {
  const a = cpuSnapshot()
  await new Promise((r) => setTimeout(r, sampleMs))
  const b = cpuSnapshot()
  return {
    cores: availableParallelism(),
    load1: loadavg()[0],
    others: othersBetween(a, b),
    sampleMs: Math.round(b.wallMs - a.wallMs)
  }
}

/** The auto thread count and a few words on why, for the backend report. */
export interface AutoThreads {
  threads: number
  why: string
}

/**
 * One thread per core that is free, rounded to the nearest integer, at least 1 and at most
 * min(AUTO_THREADS_MAX, cores). Free = cores − others when a sample was taken, else cores − 1-min load.
 */
export function autoWasmThreads(m: MachineLoad): AutoThreads {
  if (!(Number.isFinite(m.cores) && m.cores >= 1)) throw new Error(`autoWasmThreads: cores must be ≥ 1, got ${m.cores}`)
  const load = Number.isFinite(m.load1) && m.load1 > 0 ? m.load1 : 0
  const sampled = m.others != null && Number.isFinite(m.others)
  const busy = sampled ? Math.max(0, m.others as number) : load
  const free = Math.max(0, m.cores - busy)
  const threads = Math.max(1, Math.min(AUTO_THREADS_MAX, Math.floor(m.cores), Math.round(free)))
  const seen = sampled
    ? `other processes used ${busy.toFixed(2)} over ${m.sampleMs ?? '?'} ms; 1-min load ${load.toFixed(2)}`
    : `1-min load ${load.toFixed(2)}`
  return { threads, why: `auto: ${free.toFixed(1)} of ${m.cores} cores free (${seen})` }
}
