/**
 * Fault injection for the atomic writers (the write-file-atomic test pattern): a real file system
 * whose chosen step fails with a chosen errno code. Directory fds are tracked so `fsync` (a file)
 * and `dir-fsync` (a directory) can fail separately.
 */
import { statSync } from 'node:fs'
import { nodeFs, type AtomicFs, type AtomicStep } from '../../../src-main/core/fsutil/atomic'

export type FaultStep = Extract<
  AtomicStep,
  'open' | 'write' | 'fsync' | 'close' | 'rename' | 'dir-fsync' | 'mkdir' | 'link'
>

export interface FaultyFs extends AtomicFs {
  /** Calls seen, in order ("open path", "rename a -> b" ...). */
  log: string[]
  /** How many times the fault fired. */
  fired: number
}

function errno(code: string): NodeJS.ErrnoException {
  return Object.assign(new Error(`${code}: injected fault`), { code })
}

/**
 * `step` fails with `code` on its `nth` occurrence (1-based; default the first). `partialWrite`
 * makes the write before the failing one write only half of its buffer (a disk filling up).
 */
export function faultyFs(
  step: FaultStep | null,
  code = 'EIO',
  opts: { nth?: number; partialWrite?: boolean } = {}
): FaultyFs {
  const dirFds = new Set<number>()
  const seen: Record<string, number> = {}
  const log: string[] = []
  const fs: FaultyFs = {
    ...nodeFs,
    log,
    fired: 0,
    async open(p, flags, mode) {
      log.push(`open ${p}`)
      const isDir = flags === 'r' && statSync(p, { throwIfNoEntry: false })?.isDirectory()
      if (!isDir && hit('open')) throw errno(code)
      const fd = await nodeFs.open(p, flags, mode)
      if (isDir) dirFds.add(fd)
      return fd
    },
    async write(fd, data) {
      if (hit('write')) throw errno(code)
      if (opts.partialWrite && step === 'write')
        return nodeFs.write(fd, data.subarray(0, Math.max(1, data.length >> 1)))
      return nodeFs.write(fd, data)
    },
    async fsync(fd) {
      if (dirFds.has(fd) ? hit('dir-fsync') : hit('fsync')) throw errno(code)
      return nodeFs.fsync(fd)
    },
    async close(fd) {
      const dir = dirFds.delete(fd)
      await nodeFs.close(fd)
      // A failing close still releases the fd (as on NFS), so nothing leaks.
      if (!dir && hit('close')) throw errno(code)
    },
    async rename(a, b) {
      log.push(`rename ${a} -> ${b}`)
      if (hit('rename')) throw errno(code)
      return nodeFs.rename(a, b)
    },
    async mkdir(p) {
      if (hit('mkdir')) throw errno(code)
      return nodeFs.mkdir(p)
    },
    async link(a, b) {
      if (hit('link')) throw errno(code)
      return nodeFs.link(a, b)
    }
  }
  function hit(s: FaultStep): boolean {
    if (s !== step) return false
    seen[s] = (seen[s] ?? 0) + 1
    if (seen[s] !== (opts.nth ?? 1)) return false
    fs.fired++
    return true
  }
  return fs
}
