import type { Migration } from './types'
import { migration0010 } from './0010-initial'
import { migration0020 } from './0020-dataset-hashes'
import { migration0030 } from './0030-faces'
import { migration0040 } from './0040-audits'
import { migration0060 } from './0060-api-indexes'
import { migration0070 } from './0070-annotator-votes'
import { migration0090 } from './0090-queue-order'
import { migration0100 } from './0100-assignments'

export type { Migration } from './types'

/** Every migration, oldest first. Add a file per version and append it here. */
export const MIGRATIONS: readonly Migration[] = [
  migration0010,
  migration0020,
  migration0030,
  migration0040,
  migration0060,
  migration0070,
  migration0090,
  migration0100
]

/** Throws when the registry is not strictly increasing (checked at start-up and in a test). */
export function checkRegistry(list: readonly Migration[] = MIGRATIONS): void {
  let prev = 0
  for (const m of list) {
    if (!Number.isInteger(m.version) || m.version <= prev) {
      throw new Error(`migration registry out of order: ${m.name} has version ${m.version} after ${prev}`)
    }
    prev = m.version
  }
}

export function latestVersion(list: readonly Migration[] = MIGRATIONS): number {
  return list.length ? list[list.length - 1].version : 0
}
