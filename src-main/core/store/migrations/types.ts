import type { Database } from 'better-sqlite3'

/** One schema step. `up` runs inside the migration transaction and must not await. */
export interface Migration {
  /** The user_version after this step; strictly increasing, stepping by 10. */
  version: number
  name: string
  up(db: Database): void
}
