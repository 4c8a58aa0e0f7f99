/**
 * Part of THE app API contract (contract.ts re-exports it; import from there): limits, primitive schemas, label/review
 * states, the result and error shapes.
 * Imported by the renderer too, so it imports nothing from Node.
 */
import { z } from 'zod'

// #region limits and primitives

/** Caps shared by the schemas and the server. */
export const LIMITS = {
  /** Largest class count a project can have (the canonical list has 8). */
  maxClasses: 16,
  /** Largest page of images.queue. */
  maxPage: 500,
  /** Most images in one bulk relabel / history revert. */
  maxBulk: 10_000,
  /** Longest path accepted, in UTF-16 code units. */
  maxPath: 4096,
  /** Largest JSON request body the HTTP server reads, in bytes. */
  maxBodyBytes: 1 << 20
} as const

const noNul = (s: string): boolean => !s.includes('\0')
/** A string of at most `max` characters with no NUL byte. */
export function zText(max: number, min = 0): z.ZodType<string, string> {
  return z.string().min(min).max(max).refine(noNul, { message: 'NUL bytes are not allowed' })
}
/** A row id (images.id, label_history.id, runs.id ...): a positive safe integer. */
export const zId = z.number().int().min(1).max(Number.MAX_SAFE_INTEGER)
/** A class index into the project's class list (checked against the real count by the handler). */
export const zClassIdx = z
  .number()
  .int()
  .min(0)
  .max(LIMITS.maxClasses - 1)
/** A file-system path chosen by the user (absolute or relative to the process cwd). */
export const zPath = zText(LIMITS.maxPath, 1)
/** A probability in [0, 1]. */
export const zProb = z.number().min(0).max(1)
/** An audit flag name as written by the audit engine (`suspect_label`, `oim_disagrees`, ...). */
export const zFlag = z.string().regex(/^[a-z][a-z0-9_]{0,47}$/)
export const zEmpty = z.strictObject({})

export const LABEL_STATES = ['labeled', 'unlabeled', 'unknown', 'not_face', 'excluded', 'ambiguous'] as const
export const REVIEW_STATES = ['accepted', 'kept', 'relabeled', 'excluded', 'ambiguous', 'skipped'] as const
export const SPLITS = ['train', 'val', 'test'] as const
export const HISTORY_SOURCES = ['import', 'curator', 'bulk', 'revert'] as const
export type LabelState = (typeof LABEL_STATES)[number]
export type ReviewState = (typeof REVIEW_STATES)[number]
export type Split = (typeof SPLITS)[number]
export type HistorySource = (typeof HISTORY_SOURCES)[number]

/** Any JSON value (engine-defined payloads such as an audit explanation or run metrics). */
export type JsonValue = null | boolean | number | string | JsonValue[] | { [key: string]: JsonValue }

// #endregion
// #region results and errors

/**
 * Why a call failed. The renderer maps codes to UI states:
 * - INVALID_ARGS: the arguments broke the schema or a project-level rule (unknown image, class index
 *   beyond the project's classes); the message names the field and value.
 * - UNKNOWN_METHOD: no such method (HTTP 404 / IPC channel not ours).
 * - NO_PROJECT: the method needs an open project.
 * - NOT_FOUND: an id that does not exist (image, run, job, history entry).
 * - NOT_AVAILABLE: the engine behind the method is not in this build yet, or its data does not exist
 *   yet (e.g. sorting by audit score before any audit ran). Never answered with made-up data.
 * - UNSUPPORTED: not in this mode (e.g. native dialogs or switching projects in browser mode).
 * - BUSY: a job of that kind is already running.
 * - CONFLICT: the UI acted on stale data (accepting a suggestion that has changed).
 * - LOCKED / NOT_A_PROJECT / FUTURE_VERSION / CORRUPT / MIGRATION_FAILED: the project file (ProjectError).
 * - IO_ERROR: the file system refused (missing folder, permission, disk full); the message names the file.
 * - FORBIDDEN: refused by policy (sender, origin, token) — the server/IPC layer, not handlers.
 * - INTERNAL: a bug; the message is generic and the detail is logged in the main process.
 */
export const API_ERROR_CODES = [
  'INVALID_ARGS',
  'UNKNOWN_METHOD',
  'NO_PROJECT',
  'NOT_FOUND',
  'NOT_AVAILABLE',
  'UNSUPPORTED',
  'BUSY',
  'CONFLICT',
  'CANCELLED',
  'LOCKED',
  'NOT_A_PROJECT',
  'FUTURE_VERSION',
  'CORRUPT',
  'MIGRATION_FAILED',
  'FORBIDDEN',
  'IO_ERROR',
  'INTERNAL'
] as const
export type ApiErrorCode = (typeof API_ERROR_CODES)[number]

export type ApiResult<T> = { ok: true; value: T } | { ok: false; code: ApiErrorCode; message: string }

// #endregion
