/**
 * A POI Audit project: one SQLite file (see store/db.ts) plus its settings in `meta`.
 *
 * meta keys written here:
 * - `project`: { name, createdAt, createdWith } — createdWith is the app version that made the file;
 * - `pixel_cache`: { size, channels } — the model input the import-time pixel cache is built for;
 * - `last_written_with`: the app version that last opened the file for writing.
 */
import { existsSync } from 'node:fs'
import { basename, extname, resolve } from 'node:path'
import { version as packageVersion } from '../../package.json'
import type { ClassName } from './classes'
import { nowIso, openProjectDb, type DB, type OpenOptions } from './store/db'
import { ProjectError } from './store/errors'
import { getClasses, getMeta, setMeta } from './store/meta'

/** The version of this build (package.json), recorded in every project it writes. */
export const APP_VERSION: string = packageVersion

/** Supported cache sizes: the model's square input side, pixels. */
export const MIN_INPUT_SIZE = 16
export const MAX_INPUT_SIZE = 512

export interface ProjectSettings {
  name: string
  /** ISO-8601 UTC. */
  createdAt: string
  /** App version that created the project. */
  createdWith: string
  lastWrittenWith: string | null
  /** Side of the square model input, pixels (pixel cache size). */
  inputSize: number
  /** 1 = gray, 3 = RGB. */
  channels: 1 | 3
}

export interface CreateProjectOptions {
  /** Default: the file name without extension. */
  name?: string
  inputSize?: number
  channels?: 1 | 3
}

export type OpenProjectOptions = Pick<OpenOptions, 'readonly' | 'timeoutMs' | 'quickCheck'>

/** An open project. `close()` releases the writer lock. */
export interface Project {
  readonly path: string
  readonly db: DB
  readonly readonly: boolean
  /** The project's ordered class list (label columns index into it). */
  classes(): ClassName[]
  settings(): ProjectSettings
  close(): void
}

interface StoredProject {
  name: string
  createdAt: string
  createdWith: string
}
interface StoredCache {
  size: number
  channels: 1 | 3
}

export const DEFAULT_INPUT_SIZE = 48
export const DEFAULT_CHANNELS = 1

function checkCacheSettings(size: number, channels: number): void {
  if (!Number.isInteger(size) || size < MIN_INPUT_SIZE || size > MAX_INPUT_SIZE) {
    throw new ProjectError(
      'INVALID',
      `input size ${size} must be an integer from ${MIN_INPUT_SIZE} to ${MAX_INPUT_SIZE}`
    )
  }
  if (channels !== 1 && channels !== 3) throw new ProjectError('INVALID', `channels must be 1 or 3, not ${channels}`)
}

function wrap(path: string, opened: { db: DB; readonly: boolean; close(): void }): Project {
  const db = opened.db
  return {
    path,
    db,
    readonly: opened.readonly,
    classes: () => getClasses(db),
    settings(): ProjectSettings {
      const p = getMeta<StoredProject | null>(db, 'project', null)
      const c = getMeta<StoredCache | null>(db, 'pixel_cache', null)
      return {
        name: p?.name ?? basename(path, extname(path)),
        createdAt: p?.createdAt ?? '',
        createdWith: p?.createdWith ?? '',
        lastWrittenWith: getMeta<string | null>(db, 'last_written_with', null),
        inputSize: c?.size ?? DEFAULT_INPUT_SIZE,
        channels: c?.channels ?? DEFAULT_CHANNELS
      }
    },
    close: () => opened.close()
  }
}

/** Creates a new project file; refuses to touch an existing one. */
export function createProject(file: string, opts: CreateProjectOptions = {}): Project {
  const path = resolve(file)
  if (existsSync(path)) throw new ProjectError('INVALID', `${path} already exists; open it instead of creating it`)
  const size = opts.inputSize ?? DEFAULT_INPUT_SIZE
  const channels = opts.channels ?? DEFAULT_CHANNELS
  checkCacheSettings(size, channels)
  const opened = openProjectDb(path, { create: true })
  try {
    opened.db
      .transaction(() => {
        setMeta(opened.db, 'project', {
          name: opts.name ?? basename(path, extname(path)),
          createdAt: nowIso(),
          createdWith: APP_VERSION
        } satisfies StoredProject)
        setMeta(opened.db, 'pixel_cache', { size, channels } satisfies StoredCache)
        setMeta(opened.db, 'last_written_with', APP_VERSION)
      })
      .immediate()
  } catch (e) {
    opened.close()
    throw e
  }
  return wrap(path, opened)
}

/** The `error` of a run whose process died while it ran. */
export const CRASHED_RUN_ERROR =
  'crashed: the process ended while this run was training (killed, crashed or power loss); resume it from its last checkpoint'

/**
 * Runs still 'running' when a writer opens the project belong to a process that died: a run only
 * runs while its process holds the writer lock, which this opener now holds. They become 'failed'
 * with CRASHED_RUN_ERROR, keeping their last checkpoint so `train --resume` continues them.
 */
function markCrashedRuns(db: DB): void {
  db.prepare("UPDATE runs SET status = 'failed', finished_at = ?, error = ? WHERE status = 'running'").run(
    nowIso(),
    CRASHED_RUN_ERROR
  )
}

/** Opens an existing project (read-only opens take no lock and change nothing). */
export function openProject(file: string, opts: OpenProjectOptions = {}): Project {
  const path = resolve(file)
  const opened = openProjectDb(path, {
    readonly: opts.readonly,
    timeoutMs: opts.timeoutMs,
    quickCheck: opts.quickCheck
  })
  if (!opened.readonly) {
    try {
      if (getMeta<string | null>(opened.db, 'last_written_with', null) !== APP_VERSION)
        setMeta(opened.db, 'last_written_with', APP_VERSION)
      markCrashedRuns(opened.db)
    } catch (e) {
      opened.close()
      throw e
    }
  }
  return wrap(path, opened)
}
