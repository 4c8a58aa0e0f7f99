/**
 * Progress for long CLI work on stderr: a cli-progress bar when stderr is a terminal, otherwise plain
 * lines (at most one every `intervalMs`, plus one per phase change and one at the end) so logs of
 * non-interactive runs (CI, pipes) still show that work advances without drowning in redraws.
 */
import cliProgress from 'cli-progress'
import type { CliIo } from './io'

export interface ProgressReporter {
  /** Reports `done` of `total` units in `phase`. */
  update(done: number, total: number, phase?: string): void
  /** Removes the bar (if any); call before printing results. */
  stop(): void
}

export interface ProgressOptions {
  /** Minimum time between plain lines, ms (default 2000). */
  intervalMs?: number
  /** For tests: the clock. */
  now?: () => number
}

export function createProgress(io: CliIo, label: string, opts: ProgressOptions = {}): ProgressReporter {
  const stream = io.progressStream
  if (stream?.isTTY) {
    const bar = new cliProgress.SingleBar(
      {
        stream: stream as NodeJS.WritableStream,
        format: `${label} {phase} [{bar}] {percentage}% | {value}/{total} | ETA {eta_formatted}`,
        hideCursor: true,
        clearOnComplete: true,
        fps: 10
      },
      cliProgress.Presets.shades_classic
    )
    let started = false
    return {
      update(done, total, phase = '') {
        if (!started) {
          bar.start(Math.max(total, 1), done, { phase })
          started = true
          return
        }
        bar.setTotal(Math.max(total, 1))
        bar.update(done, { phase })
      },
      stop() {
        if (started) bar.stop()
        started = false
      }
    }
  }
  const interval = opts.intervalMs ?? 2000
  const now = opts.now ?? (() => Date.now())
  let last = -Infinity
  let lastPhase: string | null = null
  let lastLine = ''
  return {
    update(done, total, phase = '') {
      const t = now()
      const finished = total > 0 && done >= total
      if (phase === lastPhase && !finished && t - last < interval) return
      const pct = total > 0 ? ` (${Math.floor((100 * done) / total)}%)` : ''
      const line = `${label}${phase ? ` ${phase}` : ''}: ${done}/${total}${pct}`
      if (line === lastLine) return
      io.err(line + '\n')
      last = t
      lastPhase = phase
      lastLine = line
    },
    stop() {}
  }
}
