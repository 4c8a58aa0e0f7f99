import { describe, expect, it } from 'vitest'
import { explain } from '../../../src-main/core/audit/explain'
import { EYE_AUS, MOUTH_AUS, SEVEN_CLASSES } from '../../../src-main/core/classes'

const classes = [...SEVEN_CLASSES] // neutral, happiness, surprise, sadness, anger, disgust, fear
const idx = (n: string): number => classes.indexOf(n as (typeof classes)[number])

/** A 26-vector: the given eye AU values for UL and UR, mouth AU values for LL and LR, 0.05 elsewhere. */
function auVector(eye: Record<number, number>, mouth: Record<number, number>): number[] {
  const e = EYE_AUS.map((au) => eye[au] ?? 0.05)
  const m = MOUTH_AUS.map((au) => mouth[au] ?? 0.05)
  return [...e, ...e, ...m, ...m]
}
function onehotish(k: number, p: number): number[] {
  return classes.map((_, i) => (i === k ? p : (1 - p) / (classes.length - 1)))
}

describe('explanations', () => {
  it('writes the sentence for a constructed case: mouth says happiness, eyes say anger, labelled surprise', () => {
    const mouth = onehotish(idx('happiness'), 0.8)
    const eyes = onehotish(idx('anger'), 0.6)
    const e = explain({
      classes,
      given: idx('surprise'),
      suggested: idx('happiness'),
      strength: 0.83,
      uemConfidence: 0.71,
      probs: onehotish(idx('happiness'), 0.7),
      regionProbs: [...eyes, ...eyes, ...mouth, ...mouth],
      gate: [0.15, 0.15, 0.35, 0.35],
      auProb: auVector({ 4: 0.75 }, { 12: 0.91, 26: 0.8 }),
      auImportance: auVector({ 4: 0.6 }, { 12: 0.9, 26: 0.7 }),
      auActive: 0.5,
      maxAus: 3
    })
    expect(e.text).toBe(
      'mouth: AU12 lip corner puller 0.91, AU26 jaw drop 0.80 → happiness; eyes: AU4 brow lowerer 0.75 → anger; labelled: surprise; suggested: happiness (strength 0.83)'
    )
    const [m, ey] = e.halves!
    expect(m.half).toBe('mouth')
    expect(m.gate).toBeCloseTo(0.7, 6)
    expect(m.vote).toBe('happiness')
    expect(m.voteProb).toBeCloseTo(0.8, 6)
    // Table I: surprise mouth = [26]; happiness mouth = [12, 26]; happiness eyes = [6]; surprise eyes = [1, 2, 5].
    expect(m.aus.map((a) => [a.au, a.ofGiven, a.ofSuggested])).toEqual([
      [12, false, true],
      [26, true, true]
    ])
    expect(m.aus[0].importance).toBeCloseTo(0.9, 6)
    expect(ey.aus.map((a) => [a.au, a.ofGiven, a.ofSuggested])).toEqual([[4, false, false]])
    expect(ey.givenPrior).toEqual([1, 2, 5])
    expect(ey.suggestedPrior).toEqual([6])
    expect(e.given).toBe('surprise')
    expect(e.suggested).toBe('happiness')
  })

  it('averages the left and mirrored-right subregions and caps the AU list', () => {
    const au = auVector({ 1: 0.9, 2: 0.8, 5: 0.7, 4: 0.6 }, {})
    au[0] = 0.5 // UL AU1 .5, UR AU1 .9 → mean .7
    const e = explain({
      classes,
      given: idx('surprise'),
      suggested: null,
      strength: null,
      uemConfidence: null,
      probs: onehotish(idx('surprise'), 0.9),
      regionProbs: null,
      gate: null,
      auProb: au,
      auImportance: null,
      auActive: 0.5,
      maxAus: 2
    })
    const eyes = e.halves!.find((h) => h.half === 'eyes')!
    expect(eyes.aus.map((a) => a.au)).toEqual([2, 1]) // AU2 .8, then AU1 .7 and AU5 .7 tie → lower id
    expect(eyes.aus[1].prob).toBeCloseTo(0.7, 6)
    expect(eyes.aus[0].importance).toBeNull()
    expect(e.text).toContain('mouth: no active AU')
    expect(e.text).toContain('no other label suggested')
  })
})
