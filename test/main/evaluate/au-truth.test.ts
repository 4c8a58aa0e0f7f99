/**
 * The within-class AU AUROC (core/evaluate/au-truth.ts) against the generator's own per-image AUs
 * (sampleExpression: prior AUs drawn with p = 0.9, some dropped, weak distractors). A planted class-only
 * AU head — ρ = the Table-I prior of the face's class, what a head learns from class pseudolabels alone
 * — passes the old pooled check (AUROC ≥ 0.8) but fails the within-class bar; a head that reads the
 * drawn AUs passes it.
 */
import { describe, expect, it } from 'vitest'
import { ALL_AUS, AU_PRIOR, CANONICAL_CLASSES, type ClassName } from '../../../src-main/core/classes'
import {
  auAurocWithinClass,
  CLASS_ONLY_WITHIN_CLASS_AUROC,
  type AuTruthRow
} from '../../../src-main/core/evaluate/au-truth'
import { auroc } from '../../../src-main/core/evaluate/metrics'
import { sampleExpression } from '../../../src-main/core/synth/expression'
import { Rng } from '../../../src-main/core/util/rng'
import { AU_WITHIN_CLASS_MIN } from './au-threshold'

/** 90 faces per class, the held-out size of the acceptance test (720 images, 8 classes). */
function faces(perClass: number, seed: number): { trueClass: ClassName; aus: Record<string, number> }[] {
  const rng = new Rng(seed)
  return CANONICAL_CLASSES.flatMap((c) =>
    Array.from({ length: perClass }, () => {
      const e = sampleExpression(rng, c)
      return { trueClass: c, aus: Object.fromEntries(ALL_AUS.map((au) => [`AU${au}`, e.aus[au] ?? 0])) }
    })
  )
}

/** The old check: AUROC per AU pooled over all faces, mean over AUs. */
function pooledMean(rows: readonly AuTruthRow[]): number {
  const v = ALL_AUS.map((au, k) =>
    auroc(
      rows.map((r) => r.rho[k]),
      rows.map((r) => (r.aus[`AU${au}`] ?? 0) > 0)
    )
  )
  return v.reduce((a, b) => a + b, 0) / v.length
}

const prior = (c: ClassName): number[] =>
  ALL_AUS.map((au) => ([...AU_PRIOR[c].eye, ...AU_PRIOR[c].mouth].includes(au) ? 0.9 : 0.05))

describe('AU AUROC within each class', () => {
  const data = faces(90, 11)

  it('a class-only AU head passes the pooled check but scores 0.5 within class, below the bar', () => {
    const classOnly: AuTruthRow[] = data.map((f) => ({ ...f, rho: prior(f.trueClass) }))
    expect(pooledMean(classOnly)).toBeGreaterThanOrEqual(0.8)
    const w = auAurocWithinClass(classOnly)
    expect(Object.keys(w.perAu).length).toBeGreaterThanOrEqual(8)
    expect(w.mean).toBe(CLASS_ONLY_WITHIN_CLASS_AUROC)
    expect(w.mean!).toBeLessThan(AU_WITHIN_CLASS_MIN)
  })

  it('a class-only head with per-image noise stays below the bar (chance alone does not pass)', () => {
    const rng = new Rng(5)
    const noisy: AuTruthRow[] = data.map((f) => ({ ...f, rho: prior(f.trueClass).map((p) => p + rng.normal() * 0.05) }))
    const w = auAurocWithinClass(noisy)
    expect(Math.abs(w.mean! - 0.5)).toBeLessThan(0.05)
    expect(w.mean!).toBeLessThan(AU_WITHIN_CLASS_MIN)
  })

  it('a head that reads the drawn AUs passes', () => {
    const rng = new Rng(6)
    const reading: AuTruthRow[] = data.map((f) => ({
      ...f,
      rho: ALL_AUS.map((au) => f.aus[`AU${au}`] + rng.normal() * 0.1)
    }))
    const w = auAurocWithinClass(reading)
    expect(w.mean!).toBeGreaterThanOrEqual(0.9)
  })
})
