/**
 * The API's engine check: runs `poi-audit doctor --json` in a child process and returns its report, so
 * the Train page shows exactly what the CLI prints. A child, not this process: loading an engine is the
 * only reliable test, and it would fix this process's TensorFlow backend (and take seconds of start-up
 * on the server's event loop).
 */
import { fork } from 'node:child_process'
import { existsSync } from 'node:fs'
import { dirname, join } from 'node:path'
import { fileURLToPath } from 'node:url'
import { DOCTOR_FORMAT, DOCTOR_VERSION, type DoctorReport } from '../compute/doctor-report'
import type { DoctorEngine } from './engines'
import { ApiFailure } from './errors'

const TIMEOUT_MS = 120_000

/** The CLI entry: out/main/cli.js beside the bundle, else the .ts source (tests, tsx). */
export function cliScript(): string {
  const env = process.env.POI_CLI_SCRIPT
  if (env) return env
  const here = fileURLToPath(import.meta.url)
  if (here.endsWith('.ts')) return join(dirname(here), '..', '..', 'cli', 'index.ts')
  for (const dir of [dirname(here), join(dirname(here), '..')]) {
    const f = join(dir, 'cli.js')
    if (existsSync(f)) return f
  }
  throw new Error(`the poi-audit CLI was not found next to ${here} (set POI_CLI_SCRIPT)`)
}

function run(script: string): Promise<DoctorReport> {
  return new Promise((resolve, reject) => {
    const child = fork(script, ['doctor', '--json'], {
      execArgv: script.endsWith('.ts') ? ['--import', 'tsx'] : [],
      stdio: ['ignore', 'pipe', 'pipe', 'ipc']
    })
    let out = ''
    let err = ''
    child.stdout!.on('data', (d: Buffer) => (out += d.toString()))
    child.stderr!.on('data', (d: Buffer) => (err += d.toString()))
    const timer = setTimeout(() => child.kill('SIGKILL'), TIMEOUT_MS)
    child.on('error', (e) => {
      clearTimeout(timer)
      reject(e)
    })
    child.on('exit', (code) => {
      clearTimeout(timer)
      try {
        const r = JSON.parse(out) as DoctorReport
        if (r.format !== DOCTOR_FORMAT || r.version !== DOCTOR_VERSION)
          throw new Error(`format ${String(r.format)} v${String(r.version)}`)
        resolve(r)
      } catch (e) {
        const why = err.trim().split('\n').pop() || (e as Error).message
        reject(
          new ApiFailure(
            'NOT_AVAILABLE',
            `poi-audit doctor --json failed (exit ${code}): ${why}; run it in a terminal to see the whole report`
          )
        )
      }
    })
  })
}

export const doctorEngine: DoctorEngine = {
  report: () => run(cliScript())
}
