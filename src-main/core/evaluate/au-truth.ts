/**
 * How well the AU heads see AUs, measured so that knowing the class is not enough. The generator draws
 * each of a class's Table-I AUs with probability 0.9, the same prior the AU nets learn as pseudolabels,
 * so AUROC pooled over all images is high for a head that only encodes the class (a face of happiness
 * almost always has AU12). Here positives and negatives are compared only within one true class: the
 * faces of class c that show AU a (drawn prior AUs, distractors) against those that do not (dropped
 * prior AUs, no distractor). A class-only head gives every face of a class the same value, so every
 * within-class pair ties and it scores exactly 0.5; a head that reads the face scores above.
 */
import { ALL_AUS } from '../classes'
import { auroc } from './metrics'

/** What a class-only AU head scores within each class (every pair ties). */
export const CLASS_ONLY_WITHIN_CLASS_AUROC = 0.5

export interface AuTruthRow {
  /** The class the generator drew the face for. */
  trueClass: string
  /** Intensity per AU as the ground truth stores it ("AU12" → 0..1; 0 = not drawn). */
  aus: Record<string, number>
  /** The head's ρ per AU, ALL_AUS order (13 values: left and mirrored-right regions averaged). */
  rho: ArrayLike<number>
}

export interface WithinClassAuroc {
  /** Per AU with at least `minPairs` within-class (drawn, not drawn) pairs: the class-stratified AUROC. */
  perAu: Record<string, number>
  /** Within-class pairs behind each AU's value. */
  pairs: Record<string, number>
  /** Mean over the AUs in perAu (null when none has enough pairs). */
  mean: number | null
}

/**
 * Class-stratified AUROC per AU: Σ_c U_c / Σ_c n⁺_c·n⁻_c, where U_c is the Mann–Whitney count (ties ½)
 * of class c's faces with the AU against its faces without it. Pairs across classes never count.
 */
export function auAurocWithinClass(rows: readonly AuTruthRow[], minPairs = 50): WithinClassAuroc {
  const byClass = new Map<string, AuTruthRow[]>()
  for (const r of rows) byClass.set(r.trueClass, [...(byClass.get(r.trueClass) ?? []), r])
  const perAu: Record<string, number> = {}
  const pairs: Record<string, number> = {}
  ALL_AUS.forEach((au, k) => {
    const key = `AU${au}`
    let u = 0
    let n = 0
    for (const list of byClass.values()) {
      const drawn = list.map((r) => (r.aus[key] ?? 0) > 0)
      const pos = drawn.filter(Boolean).length
      const neg = list.length - pos
      if (!pos || !neg) continue
      u +=
        auroc(
          list.map((r) => r.rho[k]),
          drawn
        ) *
        pos *
        neg
      n += pos * neg
    }
    pairs[key] = n
    if (n >= minPairs) perAu[key] = u / n
  })
  const vals = Object.values(perAu)
  return { perAu, pairs, mean: vals.length ? vals.reduce((a, b) => a + b, 0) / vals.length : null }
}
