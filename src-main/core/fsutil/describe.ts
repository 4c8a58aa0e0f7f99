/**
 * File-system failures in words a user can act on (which file, what is wrong with it, what to do),
 * for userMessage (core/api/errors.ts), which the CLI and the app API both use. Node's own errno messages ("ENOTDIR:
 * not a directory, lstat '…'")
 * name a syscall, not the problem; a path under a file is reported as the file that is in the way.
 */
import { statSync } from 'node:fs'
import { dirname } from 'node:path'

type Errno = NodeJS.ErrnoException & { dest?: string }

/** True for a Node file-system error (an errno code and the syscall that failed). */
export function isFsError(e: unknown): e is Errno {
  const err = e as Errno | null
  return !!err && typeof err.code === 'string' && /^E[A-Z]+$/.test(err.code) && typeof err.syscall === 'string'
}

/** The nearest existing ancestor of `p` that is a file (what makes ENOTDIR), if any. */
function fileInTheWay(p: string): string | null {
  for (let d = dirname(p); d !== dirname(d); d = dirname(d)) {
    try {
      return statSync(d).isFile() ? d : null
    } catch {
      // Not there either: look further up.
    }
  }
  return null
}

/** The nearest existing folder above `p` (to say which part of a path is missing). */
function existingAncestor(p: string): string | null {
  for (let d = dirname(p); d !== dirname(d); d = dirname(d)) {
    try {
      if (statSync(d).isDirectory()) return d
    } catch {
      // keep walking up
    }
  }
  return null
}

const WHY: Record<string, string> = {
  EACCES: 'permission denied; choose a path you may read and write, or change its permissions',
  EPERM: 'the operation is not permitted; choose another path or change its permissions',
  EISDIR: 'it is a folder, not a file; choose a file inside it or another path',
  EEXIST: 'it already exists; choose another path or remove it first',
  ENOSPC: 'the disk is full; free some space or choose another disk',
  EDQUOT: 'the disk quota is exhausted; free some space or choose another disk',
  EROFS: 'the file system is read-only; choose a writable folder',
  ENAMETOOLONG: 'the name is too long; choose a shorter path',
  EMFILE: 'too many files are open; close other programs and try again',
  EBUSY: 'the file is in use by another program; close it there and try again',
  ELOOP: 'it is a symbolic link that points to itself; fix the link or choose another path'
}

/** A user message for a file-system error, naming the path; null when `e` is not one. */
export function describeFsError(e: unknown): string | null {
  if (!isFsError(e)) return null
  const path = e.path
  if (!path) return null
  switch (e.code) {
    case 'ENOTDIR': {
      const file = fileInTheWay(path)
      return file
        ? `${path}: ${file} is a file, not a folder; check the path`
        : `${path}: a part of the path is a file, not a folder; check the path`
    }
    case 'ENOENT': {
      const parent = existingAncestor(path)
      const missing = parent && parent !== dirname(path) ? ` (the folder ${dirname(path)} does not exist either)` : ''
      return `${path} does not exist${missing}; check the path`
    }
    default: {
      const why = WHY[e.code ?? '']
      return why ? `${path}: ${why}` : null
    }
  }
}
