/**
 * How CLI commands talk to the terminal, and the exit codes they return. Commands are plain async
 * functions taking a CliIo, so tests call them directly and read what they printed.
 *
 * Exit codes: 0 ok, 1 runtime error, 2 usage error, 3 bad input / import refused,
 * 4 project locked by another process or written by a newer POI Audit.
 */
import { ProjectError } from '../../core/store/errors'
import { ImportAbortedError, ImportError } from '../../core/dataset/types'
import { userMessage } from '../../core/api/errors'

export const EXIT = { ok: 0, error: 1, usage: 2, badInput: 3, locked: 4 } as const

/** Where a command writes: results to `out` (stdout), messages and progress to `err` (stderr). */
export interface CliIo {
  out(s: string): void
  err(s: string): void
  /** The stream progress is drawn on; a bar when it is a TTY, plain periodic lines otherwise. */
  progressStream?: NodeJS.WritableStream & { isTTY?: boolean }
}

export const processIo: CliIo = {
  out: (s) => void process.stdout.write(s),
  err: (s) => void process.stderr.write(s),
  progressStream: process.stderr
}

/** A wrong invocation (bad option value): exit code 2. */
export class UsageError extends Error {
  constructor(message: string) {
    super(message)
    this.name = 'UsageError'
  }
}

/** Maps an error to the exit code. */
export function exitCodeFor(e: unknown): number {
  if (e instanceof UsageError) return EXIT.usage
  if (e instanceof ImportError) return EXIT.badInput
  if (e instanceof ImportAbortedError) return EXIT.error
  if (e instanceof ProjectError) {
    if (e.code === 'LOCKED' || e.code === 'FUTURE_VERSION') return EXIT.locked
    if (e.code === 'MIGRATION_FAILED') return EXIT.error
    return EXIT.badInput
  }
  return EXIT.error
}

/** Runs a command body, printing its error (if any) on stderr and returning the exit code. */
export async function runGuarded(io: CliIo, fn: () => Promise<number>): Promise<number> {
  try {
    return await fn()
  } catch (e) {
    io.err(`poi-audit: ${userMessage(e)}\n`)
    return exitCodeFor(e)
  }
}

/**
 * Makes commander's own parse errors (unknown option, missing argument, bad choice) exit with 2,
 * and --help with 0, for one subcommand.
 */
export function usageExitCodes<T extends { exitOverride(fn: (err: { exitCode: number }) => never | void): T }>(cmd: T): T {
  return cmd.exitOverride((err) => process.exit(err.exitCode === 0 ? EXIT.ok : EXIT.usage))
}
