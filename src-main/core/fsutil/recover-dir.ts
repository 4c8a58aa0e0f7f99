/**
 * Recovery of an atomic folder (fsutil/atomic-dir.ts: exports, checkpoints) whose replacement a crash
 * cut short: `out.tmp-<pid>-<r>/` complete (manifest last), `out` moved aside to `out.old-<pid>-<r>`.
 * With `out` missing, a complete temp folder is moved into place (finishing the swap), else the
 * newest aside folder is restored; then leftovers of dead writers go. Used before every export, by
 * every export reader and by `loadCheckpoint` (docs/reliability.md).
 */
import { existsSync, readdirSync, readFileSync, renameSync, rmSync, statSync } from 'node:fs'
import { basename, dirname, join } from 'node:path'
import { inFlight, pidAlive } from './fault'

/** `s` escaped for use inside a RegExp. */
export const esc = (s: string): string => s.replace(/[.*+?^${}()|[\]\\]/g, '\\$&')

/** Whether a leftover is still someone's: this process's in-flight write, or a live process's (its pid in the name). */
export function owned(path: string, pid: string | undefined): boolean {
  if (inFlight.has(path)) return true
  return pid != null && Number(pid) !== process.pid && pidAlive(Number(pid))
}

/** Whether `dir` holds a complete atomic folder: its manifest lists files that are all there at their sizes. */
function completeFolder(dir: string): boolean {
  try {
    const m = JSON.parse(readFileSync(join(dir, 'manifest.json'), 'utf8')) as {
      files?: { path: string; bytes: number }[]
    }
    return (
      Array.isArray(m.files) &&
      m.files.every((f) => statSync(join(dir, ...f.path.split('/')), { throwIfNoEntry: false })?.size === f.bytes)
    )
  } catch {
    return false
  }
}

/** Repairs the atomic folder at `dest`; returns what was found and done, in words. */
export function recoverDirTarget(dest: string): string[] {
  const dir = dirname(dest)
  if (!existsSync(dir)) return []
  const found: string[] = []
  const re = new RegExp(`^${esc(basename(dest))}\\.(tmp|old)-(?:(\\d+)-)?[0-9a-f]+$`)
  const left: { path: string; kind: string; mtime: number }[] = []
  for (const n of readdirSync(dir)) {
    const m = re.exec(n)
    const p = join(dir, n)
    if (m && !owned(p, m[2])) left.push({ path: p, kind: m[1], mtime: statSync(p).mtimeMs })
  }
  left.sort((a, b) => b.mtime - a.mtime)
  if (!existsSync(dest)) {
    const done = left.find((l) => l.kind === 'tmp' && completeFolder(l.path))
    const old = left.find((l) => l.kind === 'old')
    const pick = done ?? old
    if (pick) {
      renameSync(pick.path, dest)
      left.splice(left.indexOf(pick), 1)
      found.push(
        done
          ? `finished an interrupted export: the complete new folder ${basename(pick.path)} was moved to ${dest}`
          : `restored the previous export ${dest} from ${basename(pick.path)} (the new one was incomplete)`
      )
    }
  }
  for (const l of left) {
    rmSync(l.path, { recursive: true, force: true })
    found.push(`removed ${l.kind === 'tmp' ? 'an unfinished folder' : 'the previous version set aside'} ${l.path}`)
  }
  return found
}
