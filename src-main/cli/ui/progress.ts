/**
 * Progress for long CLI work on stderr: a cli-progress bar when stderr is a terminal, otherwise plain
 * lines (at most one every `intervalMs`, plus one per phase change and one at the end) so logs of
 * non-interactive runs (CI, pipes) still show that work advances without drowning in redraws. Plain
 * lines carry an ETA from the phase's own rate unless the caller's detail has one (training's does).
 */
import cliProgress from 'cli-progress'
import type { CliIo } from './io'

export interface ProgressReporter {
  /** Reports `done` of `total` units in `phase`; `detail` (loss, speed, ETA ...) follows on the same line. */
  update(done: number, total: number, phase?: string, detail?: string): void
  /** Removes the bar (if any); call before printing results. */
  stop(): void
}

export interface ProgressOptions {
  /** Minimum time between plain lines, ms (default 2000). */
  intervalMs?: number
  /** For tests: the clock. */
  now?: () => number
  /** Also print a plain line whenever this says so (e.g. at the end of every epoch). */
  milestone?: (done: number, total: number, phase: string) => boolean
}

export function createProgress(io: CliIo, label: string, opts: ProgressOptions = {}): ProgressReporter {
  const stream = io.progressStream
  if (stream?.isTTY) {
    const bar = new cliProgress.SingleBar(
      {
        stream: stream as NodeJS.WritableStream,
        format: `${label} {phase} [{bar}] {percentage}% | {value}/{total} | {detail}ETA {eta_formatted}`,
        hideCursor: true,
        clearOnComplete: true,
        fps: 10
      },
      cliProgress.Presets.shades_classic
    )
    let started = false
    return {
      update(done, total, phase = '', detail = '') {
        const payload = { phase, detail: detail ? `${detail} | ` : '' }
        if (!started) {
          bar.start(Math.max(total, 1), done, payload)
          started = true
          return
        }
        bar.setTotal(Math.max(total, 1))
        bar.update(done, payload)
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
  // Where the current phase started (time, units done), for an ETA when the caller's detail has none.
  let phaseStart = { phase: null as string | null, t: 0, done: 0 }
  return {
    update(done, total, phase = '', detail = '') {
      const t = now()
      if (phase !== phaseStart.phase) phaseStart = { phase, t, done }
      const finished = total > 0 && done >= total
      if (phase === lastPhase && !finished && t - last < interval && !opts.milestone?.(done, total, phase)) return
      const pct = total > 0 ? ` (${Math.floor((100 * done) / total)}%)` : ''
      const rate = (done - phaseStart.done) / Math.max(t - phaseStart.t, 1)
      const eta =
        !/\bETA\b/.test(detail) && !finished && total > 0 && rate > 0
          ? `ETA ${fmtEta((total - done) / rate / 1000)}`
          : ''
      const tail = [detail, eta].filter(Boolean).join(' | ')
      const line = `${label}${phase ? ` ${phase}` : ''}: ${done}/${total}${pct}${tail ? ` | ${tail}` : ''}`
      if (line === lastLine) return
      io.err(line + '\n')
      last = t
      lastPhase = phase
      lastLine = line
    },
    stop() {}
  }
}

/** Seconds as "7 s", "4 min 05 s" or "1 h 02 min". */
export function fmtEta(s: number): string {
  const r = Math.max(0, Math.round(s))
  if (r < 60) return `${r} s`
  if (r < 3600) return `${Math.floor(r / 60)} min ${String(r % 60).padStart(2, '0')} s`
  return `${Math.floor(r / 3600)} h ${String(Math.floor((r % 3600) / 60)).padStart(2, '0')} min`
}
