/**
 * Crash injection for the kill tests of the atomic writers: when the environment variable
 * POI_KILL_AT names a step boundary, the process SIGKILLs itself on reaching it, exactly as a crash or
 * power cut would stop it there. Unset (always, outside those tests) it costs one comparison.
 *
 * Boundaries: `file-written` (a file's bytes written, before its fsync), `file:manifest-pending`,
 * `file:data-renamed`, `file:manifest-renamed` (single-file exports), `dir:manifest-written`,
 * `dir:old-aside`, `dir:swapped` (folder exports and checkpoints).
 */
const target = process.env.POI_KILL_AT

export function killPoint(name: string): void {
  if (target === name) process.kill(process.pid, 'SIGKILL')
}

/** Names of temp/aside files this process is still using: recovery never touches them. */
export const inFlight = new Set<string>()

/** Whether a process with this id is running here (EPERM: it runs under another user). */
export function pidAlive(pid: number): boolean {
  if (pid === process.pid) return true
  try {
    process.kill(pid, 0)
    return true
  } catch (e) {
    return (e as NodeJS.ErrnoException).code === 'EPERM'
  }
}
