/**
 * Storage failures in words: SQLite's "attempt to write a readonly database" / "database or disk is
 * full" and errno ENOSPC/EROFS/EACCES name neither the file nor, to most users, the cause. This turns
 * them into a ProjectError('IO') that names the file and says what to do; the CLI exits 1 with it
 * and the API answers IO_ERROR instead of INTERNAL.
 */
import { ProjectError } from './errors'

const CAUSES: [RegExp, string][] = [
  [/^(SQLITE_FULL|ENOSPC|EDQUOT)$/, 'the disk is full (free some space and try again; nothing was half-written)'],
  [
    /^(SQLITE_READONLY.*|EROFS|EACCES|EPERM)$/,
    'the file or its folder is read-only (check its permissions, or copy the project somewhere writable)'
  ],
  [/^(SQLITE_IOERR.*|EIO)$/, 'the disk reported an input/output error'],
  [/^SQLITE_CANTOPEN$/, 'it cannot be opened for writing (read-only folder, or it was moved)']
]

/** The ProjectError for a storage failure while working on `file`, or null when `e` is something else. */
export function storageFailure(e: unknown, file: string | null | undefined): ProjectError | null {
  if (e instanceof ProjectError) return null
  const err = e as { code?: unknown; path?: unknown; message?: unknown } | null
  const code = typeof err?.code === 'string' ? err.code : ''
  const hit = CAUSES.find(([re]) => re.test(code))
  if (!hit) return null
  const where = typeof err?.path === 'string' ? err.path : (file ?? 'the project')
  return new ProjectError('IO', `cannot write ${where}: ${hit[1]} [${code}]`, { file: where, cause: code })
}
