/**
 * Training in an Electron utilityProcess: wraps `utilityProcess.fork` in the training engine's
 * WorkerLink shape (core/train/worker-host.ts), so the engine's host (store requests answered on main's
 * single writable connection, cooperative cancel then kill, terminal states) runs unchanged. A
 * utilityProcess survives the runAsNode fuse being off (child_process.fork does not), isolates
 * native crashes (a segfault ends the run as 'crashed', not the app) and keeps tfjs off the UI thread.
 */
import type { UtilityProcess } from 'electron'
import type { WorkerLink } from '../core/train/worker-host'
import type { HostMessage, WorkerMessage } from '../core/train/protocol'

/** The part of utilityProcess used here (injected so tests can fork a fake). */
export interface UtilityForker {
  fork(
    modulePath: string,
    args?: string[],
    options?: { serviceName?: string; stdio?: 'inherit' | 'pipe' | 'ignore' }
  ): Pick<UtilityProcess, 'postMessage' | 'on' | 'kill'>
}

export function utilityWorkerSpawner(utility: UtilityForker, modulePath: string): () => WorkerLink {
  return () => {
    const child = utility.fork(modulePath, [], { serviceName: 'POI Audit training', stdio: 'inherit' })
    let exited = false
    return {
      post: (m: HostMessage) => {
        if (!exited) child.postMessage(m)
      },
      onMessage: (fn: (m: WorkerMessage) => void) => {
        child.on('message', (m: unknown) => fn(m as WorkerMessage))
      },
      onExit(fn) {
        child.on('exit', (code: number) => {
          exited = true
          fn(code)
        })
      },
      kill: () => {
        if (!exited) child.kill()
      }
    }
  }
}
