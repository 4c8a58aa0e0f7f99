/**
 * Starting a worker_threads Worker for one of our entry scripts, whether it is a built .js bundle
 * (the app, the CLI) or a TypeScript source (tests, `tsx` runs). Shared by background training
 * (train/worker-host.ts), the learning queue's re-rank (rerank/worker.ts) and the consensus fit
 * (consensus/worker.ts).
 */
import { existsSync } from 'node:fs'
import { createRequire } from 'node:module'
import { getPriority, setPriority } from 'node:os'
import { dirname, join } from 'node:path'
import { fileURLToPath, pathToFileURL } from 'node:url'
import { Worker, type WorkerOptions } from 'node:worker_threads'

/**
 * A Worker for a script. TypeScript sources start through a tiny ESM bootstrap that registers tsx's
 * loader inside the thread (loader hooks of the parent do not reach worker threads).
 */
export function newWorker(file: string, opts: WorkerOptions = {}): Worker {
  if (!file.endsWith('.ts')) return new Worker(file, opts)
  const req = createRequire(import.meta.url)
  const api = pathToFileURL(join(dirname(req.resolve('tsx/package.json')), 'dist', 'esm', 'api', 'index.mjs')).href
  const code = `import { register } from ${JSON.stringify(api)}; register(); await import(${JSON.stringify(pathToFileURL(file).href)})`
  return new Worker(new URL(`data:text/javascript,${encodeURIComponent(code)}`), opts)
}

/**
 * Where a worker entry script is, seen from the module `moduleUrl` (its import.meta.url): the .ts
 * source beside it when that module runs from source (tests, tsx), else the bundle `jsName` next to
 * the built code (out/main/, also from a chunk one folder down). `envVar` overrides both.
 */
export function workerEntry(moduleUrl: string, tsName: string, jsName: string, envVar: string): string {
  const env = process.env[envVar]
  if (env) return env
  const here = fileURLToPath(moduleUrl)
  if (here.endsWith('.ts')) return join(dirname(here), tsName)
  for (const dir of [dirname(here), join(dirname(here), '..')]) {
    const f = join(dir, jsName)
    if (existsSync(f)) return f
  }
  throw new Error(`worker script ${jsName} not found next to ${here} (set ${envVar})`)
}

/**
 * Lowers the calling thread's scheduling priority to `nice` where that touches only this thread: on Linux the
 * nice value is per thread, so setpriority(PRIO_PROCESS, 0) from a worker lowers the worker alone and review
 * on the main thread keeps the CPU when both want it. Elsewhere (macOS, Windows) the same call would
 * lower the whole app, so the worker keeps the app's priority there. Returns the nice value the thread
 * runs at (null where it cannot be read). Call it from a worker thread only.
 */
export function lowerThreadPriority(nice: number | undefined): number | null {
  if (process.platform === 'linux' && nice != null) {
    try {
      setPriority(0, nice)
    } catch {
      // not permitted (a container's seccomp, say): run at the app's priority
    }
  }
  try {
    return getPriority(0)
  } catch {
    return null
  }
}
