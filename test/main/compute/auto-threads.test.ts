// threads: 'auto' — one XNNPACK thread per free core (src-main/core/compute/auto-threads.ts).
import { describe, expect, it } from 'vitest'
import { AUTO_THREADS_MAX, autoWasmThreads, currentMachineLoad } from '../../../src-main/core/compute/auto-threads'

describe('autoWasmThreads', () => {
  it('counts the cores that are free now, rounded, between 1 and min(cores, AUTO_THREADS_MAX)', () => {
    const cases: [cores: number, load1: number, threads: number][] = [
      [2, 0, 2], // idle 2-vCPU box: 2 threads measured 1.42× faster
      [2, 0.06, 2],
      [2, 0.5, 2], // 1.5 free rounds up
      [2, 0.6, 1],
      [2, 1.0, 1], // one core busy elsewhere: 2 threads measured 0.81×
      [2, 3.5, 1], // overloaded: never 0
      [1, 0, 1],
      [8, 0, AUTO_THREADS_MAX],
      [8, 5.2, 3],
      [16, 13.6, 2],
      [2, -1, 2], // negative or NaN load (unsupported platform) counts as idle
      [2, Number.NaN, 2]
    ]
    for (const [cores, load1, threads] of cases) {
      expect(autoWasmThreads({ cores, load1 }).threads, `cores ${cores}, load ${load1}`).toBe(threads)
    }
  })

  it('says what it saw', () => {
    expect(autoWasmThreads({ cores: 2, load1: 0.06 }).why).toBe('auto: 1.9 of 2 cores free (1-min load 0.06)')
    expect(autoWasmThreads({ cores: 2, load1: 2.7 }).why).toBe('auto: 0.0 of 2 cores free (1-min load 2.70)')
  })

  it('refuses a machine without cores', () => {
    expect(() => autoWasmThreads({ cores: 0, load1: 0 })).toThrow(/cores must be ≥ 1, got 0/)
  })

  it('reads the real machine', () => {
    const m = currentMachineLoad()
    expect(m.cores).toBeGreaterThanOrEqual(1)
    expect(m.load1).toBeGreaterThanOrEqual(0)
  })
})
