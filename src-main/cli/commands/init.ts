/**
 * `poi-audit init <project> [--name NAME] [--input-size PX] [--channels 1|3]`: creates an empty
 * project file. The input size and channels fix the pixel cache every import fills (the model input);
 * another size can be cached later without re-importing.
 */
import type { Command } from 'commander'
import { createProject, DEFAULT_CHANNELS, DEFAULT_INPUT_SIZE, MAX_INPUT_SIZE, MIN_INPUT_SIZE } from '../../core/project'
import { EXIT, processIo, runGuarded, usageExitCodes, UsageError, type CliIo } from '../ui/io'

export interface InitCliOptions {
  name?: string
  inputSize?: string
  channels?: string
  json?: boolean
}

export function parseIntOption(name: string, v: string, min: number, max: number): number {
  const n = Number(v)
  if (!/^\s*\d+\s*$/.test(v) || n < min || n > max)
    throw new UsageError(`${name} must be an integer from ${min} to ${max}, got "${v}"`)
  return n
}

export async function initCommand(project: string, o: InitCliOptions, io: CliIo = processIo): Promise<number> {
  return runGuarded(
    io,
    async () => {
      const inputSize =
        o.inputSize != null
          ? parseIntOption('--input-size', o.inputSize, MIN_INPUT_SIZE, MAX_INPUT_SIZE)
          : DEFAULT_INPUT_SIZE
      const channels = o.channels != null ? parseIntOption('--channels', o.channels, 1, 3) : DEFAULT_CHANNELS
      if (channels !== 1 && channels !== 3) throw new UsageError(`--channels must be 1 or 3, got "${o.channels}"`)
      const p = createProject(project, { name: o.name, inputSize, channels })
      try {
        const s = p.settings()
        if (o.json) io.out(JSON.stringify({ path: p.path, ...s }, null, 2) + '\n')
        else io.out(`Created ${p.path} ("${s.name}", pixel cache ${s.inputSize}×${s.inputSize}×${s.channels})\n`)
      } finally {
        p.close()
      }
      return EXIT.ok
    },
    project
  )
}

export function registerInit(program: Command): void {
  usageExitCodes(
    program
      .command('init')
      .description('create a new, empty project file')
      .argument('<project>', 'project file to create (e.g. fer.poi); must not exist')
      .option('--name <name>', 'project name (default: the file name)')
      .option(
        '--input-size <px>',
        `side of the square model input the pixel cache holds (${MIN_INPUT_SIZE}-${MAX_INPUT_SIZE})`,
        String(DEFAULT_INPUT_SIZE)
      )
      .option('--channels <n>', 'pixel cache channels: 1 (gray) or 3 (RGB)', String(DEFAULT_CHANNELS))
      .option('--json', 'print the new project settings as JSON')
  ).action(async (project: string, opts: InitCliOptions) => {
    process.exitCode = await initCommand(project, opts)
  })
}
