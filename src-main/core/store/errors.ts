/** Why a project file could not be used. The CLI and UI map each code to a message and exit code. */
export type ProjectErrorCode =
  | 'NOT_FOUND' // no such file (and create was not asked for)
  | 'NOT_A_PROJECT' // an SQLite file of another application, or not SQLite at all
  | 'FUTURE_VERSION' // written by a newer POI Audit; opening it could destroy data
  | 'LOCKED' // another live process writes this project
  | 'CORRUPT' // quick_check failed
  | 'MIGRATION_FAILED'
  | 'INVALID' // a bad argument (unknown class, unknown image id, ...)
  | 'IO' // the file system refused (read-only, disk full); the message names the file and the cause

export class ProjectError extends Error {
  constructor(
    readonly code: ProjectErrorCode,
    message: string,
    readonly detail?: Record<string, unknown>
  ) {
    super(message)
    this.name = 'ProjectError'
  }
}
