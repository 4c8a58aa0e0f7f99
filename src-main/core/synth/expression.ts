/**
 * Which action units a synthetic face of a given class shows, following Table I of the spec
 * (AU_PRIOR in core/classes.ts). A face of class c shows each of c's AUs with high probability at a
 * clearly visible intensity, plus occasionally a weak distractor AU from outside c's set.
 *
 * Why the identifiability rule: the prior sets overlap (fear {1,4,5,26} and surprise {1,2,5,26} differ
 * in one AU each), so dropping AUs independently would sometimes draw a fear face that is pixel-for-pixel
 * a surprise face, and no classifier could reach the ≥ 90 % the generator promises. A drawn set is only
 * accepted when it is not contained in another class's set and lacks at most one prior AU.
 */
import { AU_PRIOR, type ClassName } from '../classes'
import { roundAus, zeroAus, type AuId, type AuIntensities } from './params'
import type { Rng } from '../util/rng'

/** Options of the expression sampler. All probabilities are per face. */
export interface ExpressionOptions {
  /** Probability that each of the class's prior AUs is present; default 0.9. */
  auPresence?: number
  /** Intensity range of present prior AUs, 0..1; default [0.55, 1]. */
  intensity?: [number, number]
  /** Probability of drawing distractor AUs at all; default 0.25. */
  distractorRate?: number
  /** Intensity range of distractors; default [0.1, 0.3] (below the prior range, so they never decide the class). */
  distractorIntensity?: [number, number]
}

/** What was drawn for one face. */
export interface SampledExpression {
  aus: AuIntensities
  /** Prior AUs of the class that were left out (intensity 0). */
  dropped: AuId[]
  /** AUs outside the class's prior drawn at low intensity. */
  distractors: AuId[]
}

/** The prior AUs of a class (eye then mouth). */
export function classAus(cls: ClassName): AuId[] {
  const p = AU_PRIOR[cls]
  return [...p.eye, ...p.mouth] as AuId[]
}

/**
 * Pairs that cannot be drawn together: a distractor never contradicts a present AU (lips pressed vs jaw
 * dropped, corners pulled up vs down).
 */
const CONFLICTS: [AuId, AuId][] = [
  [24, 26],
  [12, 15],
  [2, 4],
  [5, 6]
]

function conflicts(a: AuId, present: Iterable<AuId>): boolean {
  for (const b of present) {
    for (const [x, y] of CONFLICTS) if ((x === a && y === b) || (x === b && y === a)) return true
  }
  return false
}

/** True when `set` (non-empty) is not a subset of any other class's prior set. */
export function identifiable(cls: ClassName, set: readonly AuId[]): boolean {
  if (set.length === 0) return cls === 'neutral'
  for (const other of Object.keys(AU_PRIOR) as ClassName[]) {
    if (other === cls || other === 'neutral') continue
    const o = new Set(classAus(other))
    if (set.every((au) => o.has(au))) return false
  }
  return true
}

const ALL: AuId[] = [1, 2, 4, 5, 6, 9, 10, 12, 14, 15, 17, 24, 26]

/** Draws the AU intensities of one face of class `cls`. */
export function sampleExpression(rng: Rng, cls: ClassName, opts: ExpressionOptions = {}): SampledExpression {
  const presence = opts.auPresence ?? 0.9
  const [lo, hi] = opts.intensity ?? [0.55, 1]
  const distractorRate = opts.distractorRate ?? 0.25
  const [dlo, dhi] = opts.distractorIntensity ?? [0.1, 0.3]
  if (!(lo >= 0 && hi <= 1 && lo <= hi))
    throw new Error(`intensity range must satisfy 0 ≤ lo ≤ hi ≤ 1, got [${lo}, ${hi}]`)
  if (!(dlo >= 0 && dhi <= 1 && dlo <= dhi)) throw new Error(`distractor intensity range invalid: [${dlo}, ${dhi}]`)

  const prior = classAus(cls)
  let present: AuId[] = prior
  // Rejection sampling: a handful of tries at most (p(accept) ≥ 0.8 for every class at presence 0.9).
  for (let attempt = 0; attempt < 100; attempt++) {
    const kept = prior.filter(() => rng.chance(presence))
    if (prior.length - kept.length <= 1 && identifiable(cls, kept)) {
      present = kept
      break
    }
  }
  const aus = zeroAus()
  for (const au of present) aus[au] = rng.uniform(lo, hi)

  const distractors: AuId[] = []
  if (rng.chance(distractorRate)) {
    const count = rng.chance(0.25) ? 2 : 1
    for (let k = 0; k < count; k++) {
      const candidates = ALL.filter(
        (au) => !prior.includes(au) && !distractors.includes(au) && !conflicts(au, [...present, ...distractors])
      )
      if (candidates.length === 0) break
      const au = rng.pick(candidates)
      distractors.push(au)
      aus[au] = rng.uniform(dlo, dhi)
    }
  }
  return { aus: roundAus(aus), dropped: prior.filter((au) => !present.includes(au)), distractors }
}
