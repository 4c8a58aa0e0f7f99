/**
 * Turning failures into `{ok: false, code, message}`. Handlers throw `ApiFailure` for expected
 * failures; `ProjectError`s from the store map onto the same codes; anything else is a bug, answered
 * as INTERNAL with a generic message (the detail goes to the main-side log, not to the renderer).
 */
import type { z } from 'zod'
import { ProjectError, type ProjectErrorCode } from '../store/errors'
import { storageFailure } from '../store/io-errors'
import { ImportAbortedError, ImportError } from '../dataset/types'
import { describeFsError, isFsError } from '../fsutil/describe'
import type { ApiErrorCode, ApiResult } from './contract'

export class ApiFailure extends Error {
  constructor(
    readonly code: ApiErrorCode,
    message: string
  ) {
    super(message)
    this.name = 'ApiFailure'
  }
}

const PROJECT_CODES: Record<ProjectErrorCode, ApiErrorCode> = {
  NOT_FOUND: 'NOT_FOUND',
  NOT_A_PROJECT: 'NOT_A_PROJECT',
  FUTURE_VERSION: 'FUTURE_VERSION',
  LOCKED: 'LOCKED',
  CORRUPT: 'CORRUPT',
  MIGRATION_FAILED: 'MIGRATION_FAILED',
  INVALID: 'INVALID_ARGS',
  IO: 'IO_ERROR'
}

/**
 * The code for an error a user can act on, or null for a bug. File-system failures (errno codes,
 * atomic-write errors) name their file in the message, so they are shown as they are.
 */
export function classify(e: unknown): ApiErrorCode | null {
  if (e instanceof ApiFailure) return e.code
  if (e instanceof ProjectError) return PROJECT_CODES[e.code] ?? 'INTERNAL'
  // A refused import is bad input the user fixes in the source file, not a bug.
  if (e instanceof ImportError) return 'INVALID_ARGS'
  if (e instanceof ImportAbortedError) return 'CANCELLED'
  const err = e as NodeJS.ErrnoException | null
  if (err && (err.name === 'AtomicWriteError' || isFsError(err))) return 'IO_ERROR'
  if (/SQLITE_BUSY|database is locked/i.test(String(err?.message))) return 'LOCKED'
  return null
}

/** Maps a thrown value to a failed result; `log` receives the detail of unexpected errors. */
export function toFailure(
  e: unknown,
  method: string,
  log: (msg: string) => void,
  file?: string | null
): ApiResult<never> {
  e = storageFailure(e, file) ?? e
  const code = classify(e)
  const err = e as Error
  if (code === 'LOCKED' && !(e instanceof ProjectError)) {
    return { ok: false, code, message: 'the project is busy (another process holds a write lock); try again' }
  }
  // The same words as the CLI prints (core/fsutil/describe.ts).
  if (code) return { ok: false, code, message: userMessage(e) }
  log(`api ${method}: ${err?.stack ?? String(e)}`)
  return { ok: false, code: 'INTERNAL', message: `internal error in ${method} (details are in the log)` }
}

function show(v: unknown): string {
  let s: string
  try {
    s = typeof v === 'string' ? JSON.stringify(v) : String(JSON.stringify(v))
  } catch {
    s = String(v)
  }
  return s.length > 60 ? `${s.slice(0, 57)}...` : s
}

/** A readable INVALID_ARGS message: the first few issues, each naming its field and value. */
export function describeIssues(method: string, error: z.ZodError, input: unknown): string {
  const parts = error.issues.slice(0, 4).map((i) => {
    const path = i.path.map(String).join('.')
    let value: unknown = input
    for (const k of i.path)
      value =
        value != null && typeof value === 'object'
          ? (value as Record<PropertyKey, unknown>)[k as PropertyKey]
          : undefined
    const where = path || '(arguments)'
    return i.code === 'unrecognized_keys' || value === undefined
      ? `${where}: ${i.message}`
      : `${where}: ${i.message} (got ${show(value)})`
  })
  const more = error.issues.length > 4 ? ` (+${error.issues.length - 4} more)` : ''
  return `invalid arguments for ${method}: ${parts.join('; ')}${more}`
}

/**
 * The words a user sees for any failure, shared by the CLI (`poi-audit: <message>`) and the app API
 * (`{ok: false, message}` shown by the UI), so both say the same thing: file-system errors in plain
 * words naming the path, refused imports with what to do next, anything else as its own message
 * (ours already name the file, line or value).
 */
export function userMessage(e: unknown): string {
  const fs = describeFsError(e)
  if (fs) return fs
  if (e instanceof ImportError)
    return `${e.message}\nnothing was imported; fix the problems listed above in the source and import again`
  return e instanceof Error ? e.message : String(e)
}
