import { describe, expect, it } from 'vitest'
import { ALL_AUS, AU_PRIOR, CANONICAL_CLASSES, type ClassName } from '../../../src-main/core/classes'
import { Rng } from '../../../src-main/core/util/rng'
import { classAus, identifiable, sampleExpression } from '../../../src-main/core/synth/expression'
import type { AuId } from '../../../src-main/core/synth/params'

describe('sampleExpression', () => {
  it('draws the Table-I AUs of each class at high intensity, dropping at most one and staying identifiable', () => {
    const rng = new Rng(99)
    for (const cls of CANONICAL_CLASSES) {
      const prior = classAus(cls)
      let present = 0
      for (let i = 0; i < 400; i++) {
        const e = sampleExpression(rng, cls)
        const shown = prior.filter((au) => e.aus[au] > 0)
        expect(e.dropped.length).toBeLessThanOrEqual(1)
        expect(shown.length + e.dropped.length).toBe(prior.length)
        expect(identifiable(cls, shown)).toBe(true)
        for (const au of shown) expect(e.aus[au]).toBeGreaterThanOrEqual(0.55)
        for (const au of ALL_AUS as readonly AuId[]) {
          if (!prior.includes(au) && !e.distractors.includes(au)) expect(e.aus[au]).toBe(0)
        }
        for (const au of e.distractors) {
          expect(prior).not.toContain(au)
          expect(e.aus[au]).toBeGreaterThanOrEqual(0.1)
          expect(e.aus[au]).toBeLessThanOrEqual(0.3)
        }
        present += shown.length
      }
      if (prior.length > 0) expect(present / (400 * prior.length)).toBeGreaterThan(0.85)
    }
  })

  it('adds distractors at about the requested rate, never contradicting a present AU', () => {
    const rng = new Rng(4)
    let withDistractor = 0
    for (let i = 0; i < 1000; i++) {
      const e = sampleExpression(rng, 'anger', { distractorRate: 0.5 })
      if (e.distractors.length > 0) withDistractor++
      // Pressed lips (AU24) and a dropped jaw (AU26), or lowered and raised outer brows, never together.
      expect(e.aus[24] > 0 && e.aus[26] > 0).toBe(false)
      expect(e.aus[2] > 0 && e.aus[4] > 0).toBe(false)
    }
    expect(withDistractor).toBeGreaterThan(430)
    expect(withDistractor).toBeLessThan(570)
    const none = sampleExpression(new Rng(1), 'neutral', { distractorRate: 0 })
    expect(Object.values(none.aus).every((v) => v === 0)).toBe(true)
  })

  it('identifiable() rejects AU sets that another class would also produce', () => {
    expect(identifiable('fear', [1, 5, 26])).toBe(false) // that is a surprise without AU2
    expect(identifiable('fear', [1, 4, 5, 26])).toBe(true)
    expect(identifiable('anger', [4])).toBe(false)
    expect(identifiable('neutral', [])).toBe(true)
    expect(identifiable('contempt', [])).toBe(false)
    for (const cls of Object.keys(AU_PRIOR) as ClassName[]) expect(identifiable(cls, classAus(cls))).toBe(true)
  })

  it('rejects invalid intensity ranges', () => {
    expect(() => sampleExpression(new Rng(1), 'fear', { intensity: [0.8, 0.2] })).toThrow(/\[0.8, 0.2\]/)
  })
})
