/**
 * `poi-audit doctor [--backend <name>] [--json]`: which compute engines this machine has, which one
 * training would use and why, TensorFlow's version, threads, GPU, memory, and what would make it faster.
 */
import type { Command } from 'commander'
import { BACKEND_ORDER, type ComputeBackend } from '../../core/compute/backend'
import { diagnoseCompute, formatDoctor } from '../../core/compute/doctor'
import { EXIT, processIo, runGuarded, usageExitCodes, UsageError, type CliIo } from '../ui/io'

export interface DoctorCliOptions {
  json?: boolean
  backend?: string
}

export async function doctorCommand(o: DoctorCliOptions, io: CliIo = processIo): Promise<number> {
  return runGuarded(io, async () => {
    const backend = o.backend ?? 'auto'
    if (backend !== 'auto' && !BACKEND_ORDER.includes(backend as ComputeBackend)) {
      throw new UsageError(`--backend must be auto or one of ${BACKEND_ORDER.join(', ')}; got "${backend}"`)
    }
    const r = await diagnoseCompute({ backend: backend as 'auto' | ComputeBackend })
    io.out(o.json ? JSON.stringify(r, null, 2) + '\n' : formatDoctor(r))
    return EXIT.ok
  })
}

export function registerDoctor(program: Command): void {
  usageExitCodes(
    program
      .command('doctor')
      .description(
        'show the compute engines found, which one trains and why, TensorFlow version, threads, GPU, memory, and how to get a faster one'
      )
      .option('--backend <name>', `auto | ${BACKEND_ORDER.join(' | ')}: check that this engine loads`, 'auto')
      .option('--json', 'print the report as JSON (format poi-audit-doctor, version 1)'),
    'doctor: 1 also means the engine asked for with --backend cannot be used.'
  ).action(async (opts: DoctorCliOptions) => {
    process.exitCode = await doctorCommand(opts)
  })
}
