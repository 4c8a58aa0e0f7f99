/**
 * Seeded pseudo-random numbers for the synthetic face generator. Everything the generator draws goes
 * through an `Rng`, so a seed fully determines a dataset (same seed → byte-identical PNGs and JSON).
 *
 * The generator is sfc32 (Chris Doty-Humphrey's Small Fast Counting generator, 128-bit state, passes
 * PractRand to multiple TB), seeded through splitmix32 so that nearby seeds (1, 2, 3…) give unrelated
 * streams. Math.random is never used.
 */

/** 32-bit integer hash of a list of numbers/strings (FNV-1a over the parts, finalised with a murmur3 mix). */
export function hashSeed(...parts: (number | string)[]): number {
  let h = 0x811c9dc5
  const mixByte = (b: number): void => {
    h ^= b & 0xff
    h = Math.imul(h, 0x01000193)
  }
  for (const part of parts) {
    if (typeof part === 'number') {
      if (!Number.isFinite(part)) throw new Error(`hashSeed: seed part must be finite, got ${part}`)
      // Integers and fractions both hash stably: split into a 32-bit low word and the remaining high part.
      const lo = part >>> 0
      const hi = Math.floor(part / 4294967296) >>> 0
      for (const w of [lo, hi, Math.round((part - Math.floor(part)) * 1e9) >>> 0]) {
        for (let k = 0; k < 4; k++) mixByte(w >>> (8 * k))
      }
    } else {
      for (let k = 0; k < part.length; k++) {
        const c = part.charCodeAt(k)
        mixByte(c)
        mixByte(c >>> 8)
      }
    }
    mixByte(0x1f) // part separator, so ('ab','c') ≠ ('a','bc')
  }
  h ^= h >>> 16
  h = Math.imul(h, 0x85ebca6b)
  h ^= h >>> 13
  h = Math.imul(h, 0xc2b2ae35)
  h ^= h >>> 16
  return h >>> 0
}

/** A deterministic random stream. Not cryptographic. */
export class Rng {
  private a: number
  private b: number
  private c: number
  private d: number
  /** Second gaussian of the last Box–Muller pair, or null. */
  private spare: number | null = null

  /** @param seed any 32-bit integer (other numbers are hashed first). */
  constructor(seed: number) {
    let s = Number.isInteger(seed) && seed >= 0 && seed <= 0xffffffff ? seed >>> 0 : hashSeed(seed)
    const splitmix = (): number => {
      s = (s + 0x9e3779b9) >>> 0
      let z = s
      z = Math.imul(z ^ (z >>> 16), 0x85ebca6b)
      z = Math.imul(z ^ (z >>> 13), 0xc2b2ae35)
      return (z ^ (z >>> 16)) >>> 0
    }
    this.a = splitmix()
    this.b = splitmix()
    this.c = splitmix()
    this.d = splitmix()
    for (let i = 0; i < 12; i++) this.nextU32()
  }

  /** Uniform 32-bit unsigned integer. */
  nextU32(): number {
    const t = (((this.a + this.b) >>> 0) + this.d) >>> 0
    this.d = (this.d + 1) >>> 0
    this.a = this.b ^ (this.b >>> 9)
    this.b = (this.c + (this.c << 3)) >>> 0
    this.c = ((this.c << 21) | (this.c >>> 11)) >>> 0
    this.c = (this.c + t) >>> 0
    return t
  }

  /** Uniform in [0, 1). */
  next(): number {
    return this.nextU32() / 4294967296
  }

  /** Uniform in [lo, hi). */
  uniform(lo: number, hi: number): number {
    return lo + (hi - lo) * this.next()
  }

  /** Uniform integer in [0, n). */
  int(n: number): number {
    if (!Number.isInteger(n) || n <= 0) throw new Error(`Rng.int: n must be a positive integer, got ${n}`)
    return Math.floor(this.next() * n)
  }

  /** True with probability p. */
  chance(p: number): boolean {
    return this.next() < p
  }

  /** Standard normal N(0, 1) (Box–Muller, pairs cached). */
  normal(): number {
    if (this.spare !== null) {
      const v = this.spare
      this.spare = null
      return v
    }
    let u = 0
    while (u === 0) u = this.next()
    const v = this.next()
    const r = Math.sqrt(-2 * Math.log(u))
    this.spare = r * Math.sin(2 * Math.PI * v)
    return r * Math.cos(2 * Math.PI * v)
  }

  /** One element of a non-empty array, uniformly. */
  pick<T>(items: readonly T[]): T {
    if (items.length === 0) throw new Error('Rng.pick: empty array')
    return items[this.int(items.length)]
  }

  /** Fisher–Yates shuffle in place; returns the same array. */
  shuffle<T>(items: T[]): T[] {
    for (let i = items.length - 1; i > 0; i--) {
      const j = this.int(i + 1)
      const t = items[i]
      items[i] = items[j]
      items[j] = t
    }
    return items
  }

  /** An independent child stream, derived from this stream's next output and a label. */
  fork(label: string | number): Rng {
    return new Rng(hashSeed(this.nextU32(), label))
  }
}
