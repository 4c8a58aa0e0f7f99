/**
 * Where a run's files live (next to the project file, never inside the SQLite file: checkpoints are
 * large and replaced often) and the project settings training reads.
 */
import { basename, dirname, join, resolve } from 'node:path'
import type { DB } from '../store/db'
import { getMeta } from '../store/meta'
import { DEFAULT_CHANNELS, DEFAULT_INPUT_SIZE } from '../project'

/** `<dir>/<project file>.runs/run-<id>` (or under `root`). */
export function runsDirFor(projectPath: string, runId: number, root?: string): string {
  const base = root ? resolve(root) : join(dirname(resolve(projectPath)), `${basename(projectPath)}.runs`)
  return join(base, `run-${runId}`)
}

/** The project's pixel-cache settings (meta `pixel_cache`), as in core/project.ts. */
export function projectCacheSettings(db: DB): { inputSize: number; channels: 1 | 3 } {
  const c = getMeta<{ size: number; channels: 1 | 3 } | null>(db, 'pixel_cache', null)
  return { inputSize: c?.size ?? DEFAULT_INPUT_SIZE, channels: c?.channels ?? (DEFAULT_CHANNELS as 1 | 3) }
}
