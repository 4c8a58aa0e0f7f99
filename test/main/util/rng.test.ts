import { describe, expect, it } from 'vitest'
import { Rng, hashSeed } from '../../../src-main/core/util/rng'

describe('Rng', () => {
  it('is deterministic for a seed and differs across seeds', () => {
    const a = new Rng(42)
    const b = new Rng(42)
    const c = new Rng(43)
    const sa = Array.from({ length: 50 }, () => a.nextU32())
    const sb = Array.from({ length: 50 }, () => b.nextU32())
    const sc = Array.from({ length: 50 }, () => c.nextU32())
    expect(sa).toEqual(sb)
    expect(sa.filter((v, i) => v === sc[i]).length).toBe(0)
  })

  it('gives uniform-looking floats, ints in range and standard normals', () => {
    const r = new Rng(7)
    const n = 20000
    let sum = 0
    const bins = new Array(10).fill(0)
    let lo = 1
    let hi = 0
    for (let i = 0; i < n; i++) {
      const u = r.next()
      lo = Math.min(lo, u)
      hi = Math.max(hi, u)
      sum += u
      bins[Math.floor(u * 10)]++
    }
    expect(lo).toBeGreaterThanOrEqual(0)
    expect(hi).toBeLessThan(1)
    expect(Math.abs(sum / n - 0.5)).toBeLessThan(0.01)
    for (const b of bins) expect(Math.abs(b - n / 10)).toBeLessThan(n / 10 / 8)
    const ints = new Set(Array.from({ length: 2000 }, () => r.int(7)))
    expect([...ints].sort()).toEqual([0, 1, 2, 3, 4, 5, 6])
    let m = 0
    let v = 0
    for (let i = 0; i < n; i++) {
      const z = r.normal()
      m += z
      v += z * z
    }
    expect(Math.abs(m / n)).toBeLessThan(0.03)
    expect(Math.abs(v / n - 1)).toBeLessThan(0.05)
  })

  it('shuffles into a permutation and forks independent streams', () => {
    const r = new Rng(1)
    const xs = Array.from({ length: 100 }, (_, i) => i)
    const sh = r.shuffle([...xs])
    expect([...sh].sort((p, q) => p - q)).toEqual(xs)
    expect(sh).not.toEqual(xs)
    const f1 = new Rng(5).fork('a')
    const f2 = new Rng(5).fork('b')
    expect(f1.nextU32()).not.toBe(f2.nextU32())
    expect(new Rng(5).fork('a').nextU32()).toBe(new Rng(5).fork('a').nextU32())
  })

  it('hashes seed parts stably and without concatenation collisions', () => {
    expect(hashSeed(1, 'image', 3)).toBe(hashSeed(1, 'image', 3))
    expect(hashSeed('ab', 'c')).not.toBe(hashSeed('a', 'bc'))
    expect(hashSeed(1, 2)).not.toBe(hashSeed(2, 1))
    const seen = new Set(Array.from({ length: 5000 }, (_, i) => hashSeed(9, 'image', i)))
    expect(seen.size).toBe(5000)
    expect(() => hashSeed(Number.NaN)).toThrow(/finite/)
    expect(() => new Rng(1).int(0)).toThrow(/positive integer/)
  })
})
