// threads: 'auto' — one XNNPACK thread per free core (src-main/core/compute/auto-threads.ts).
import { describe, expect, it } from 'vitest'
import {
  AUTO_THREADS_MAX,
  autoWasmThreads,
  measureMachineLoad,
  othersBetween
} from '../../../src-main/core/compute/auto-threads'

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

  it('prefers the sampled use of other processes over the load average, which counts this process too', () => {
    // demo on an idle box: its own import left the load at 0.6, but nothing else runs
    expect(autoWasmThreads({ cores: 2, load1: 0.6, others: 0.05, sampleMs: 400 })).toEqual({
      threads: 2,
      why: 'auto: 1.9 of 2 cores free (other processes used 0.05 over 400 ms; 1-min load 0.60)'
    })
    // another job started seconds ago: not in the load average yet, but in the sample
    expect(autoWasmThreads({ cores: 2, load1: 0.1, others: 0.97, sampleMs: 400 }).threads).toBe(1)
    expect(autoWasmThreads({ cores: 8, load1: 0, others: 5.6 }).threads).toBe(2)
  })

  it('others = machine busy time minus this process, per wall second', () => {
    const a = { machineBusyMs: 10_000, ownMs: 2_000, wallMs: 0 }
    // 400 ms: the machine was busy 700 ms (over all cores), 380 of them ours → others used 0.8 cores
    expect(othersBetween(a, { machineBusyMs: 10_700, ownMs: 2_380, wallMs: 400 })).toBeCloseTo(0.8, 10)
    // all the busy time was ours → 0, never negative (tick rounding)
    expect(othersBetween(a, { machineBusyMs: 10_390, ownMs: 2_400, wallMs: 400 })).toBe(0)
    expect(othersBetween(a, { machineBusyMs: 10_100, ownMs: 2_000, wallMs: 0 })).toBe(0)
  })

  it('measures the real machine', async () => {
    const m = await measureMachineLoad(150)
    expect(m.cores).toBeGreaterThanOrEqual(1)
    expect(m.load1).toBeGreaterThanOrEqual(0)
    expect(m.sampleMs).toBeGreaterThanOrEqual(140)
    expect(m.others).toBeGreaterThanOrEqual(0)
    expect(m.others).toBeLessThanOrEqual(m.cores + 0.5) // tick granularity
  })
})
