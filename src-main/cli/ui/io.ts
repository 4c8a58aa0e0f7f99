/**
 * The CLI's one terminal kit: how every command talks to the terminal, the ONE exit-code table all
 * commands share (README's), and the mapping from errors to it. Commands are plain async functions
 * taking a CliIo, so tests call them directly and read what they printed. Progress: ./progress.ts.
 */
import type { Command } from 'commander'
import { ProjectError } from '../../core/store/errors'
import { storageFailure } from '../../core/store/io-errors'
import { ImportAbortedError, ImportError } from '../../core/dataset/types'
import { ExportFormatError } from '../../core/export/manifest'
import { AtomicWriteError } from '../../core/fsutil/atomic'
import { userMessage } from '../../core/api/errors'

/**
 * Exit codes of every command: 0 ok, 1 runtime error (including a full disk, a read-only folder, a
 * cancelled run), 2 usage error, 3 bad input (not a project, a refused import or file, a bad value),
 * 4 project locked by another process or written by a newer POI Audit.
 */
export const EXIT = { ok: 0, error: 1, usage: 2, badInput: 3, locked: 4 } as const

/** The exit-code table as `--help` of every command prints it (README says the same). */
export const EXIT_CODES_HELP =
  'Exit codes: 0 ok, 1 runtime error (disk full, read-only folder, cancelled), 2 usage error, 3 bad input\n' +
  '(not a project, a refused file, a bad value), 4 project locked by another process or from a newer version.'

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
    if (e.code === 'MIGRATION_FAILED' || e.code === 'IO') return EXIT.error
    return EXIT.badInput
  }
  if (e instanceof ExportFormatError) return EXIT.badInput
  if (e instanceof AtomicWriteError && e.code === 'EEXIST') return EXIT.badInput
  return EXIT.error
}

/** Parses a positive integer option, or throws a UsageError naming it. */
export function positiveInt(name: string, v: string): number {
  const n = Number(v)
  if (!/^\s*\d+\s*$/.test(v) || n < 1 || !Number.isSafeInteger(n))
    throw new UsageError(`${name} must be a positive integer, got "${v}"`)
  return n
}

/**
 * Runs a command body, printing its error (if any) on stderr and returning the exit code. `file`
 * (the project) is named when the error is a storage failure that does not name its file.
 */
export async function runGuarded(io: CliIo, fn: () => Promise<number>, file?: string): Promise<number> {
  try {
    return await fn()
  } catch (e) {
    const err = storageFailure(e, file) ?? e
    io.err(`poi-audit: ${userMessage(err)}\n`)
    return exitCodeFor(err)
  }
}

/**
 * Every subcommand goes through this: commander's own parse errors (unknown option, missing
 * argument, bad choice) exit with 2 and --help with 0, and --help ends with the exit-code table.
 */
export function usageExitCodes(cmd: Command, note = ''): Command {
  return cmd
    .addHelpText('after', `\n${EXIT_CODES_HELP}${note ? `\n${note}` : ''}`)
    .exitOverride((err) => process.exit(err.exitCode === 0 ? EXIT.ok : EXIT.usage))
}
