/**
 * The one owner of how a POI prediction is laid out (spec §5): the four facial subregions, which AU
 * branch each reads, where each region's AUs sit in the 26-value AU vectors (`au_prob`,
 * `au_importance`), and the Table-I prior support computed from those vectors. The model's tensor
 * read-out (oim.ts), the store's length checks (store/runs.ts), the audit's explanations and the API's
 * prediction view all import these instead of restating offsets. Pure data and arithmetic: no tensors.
 */
import { ALL_AUS, AU_PRIOR, EYE_AUS, MOUTH_AUS, type ClassName } from '../classes'

/** Subregion names in storage order: upper-left, upper-right (eyes), lower-left, lower-right (mouth). */
export const REGION_NAMES = ['UL', 'UR', 'LL', 'LR'] as const
export type RegionName = (typeof REGION_NAMES)[number]
/** N, the number of facial subregions (length of `gate`; `region_probs` is N × C). */
export const REGION_COUNT = REGION_NAMES.length

export type AuBranch = 'eye' | 'mouth'
export type HalfName = 'eyes' | 'mouth'

export interface RegionLayout {
  region: RegionName
  /** Index in the gate / region-probability order. */
  index: number
  branch: AuBranch
  /** Where this region's AUs start in the 26-vector. */
  offset: number
  /** The AU ids this region's branch predicts, in vector order. */
  aus: readonly number[]
}

/** UL 6, UR 6 (EYE_AUS order), LL 7, LR 7 (MOUTH_AUS order): the eye branch is shared by UL/UR (UR mirrored). */
export const REGION_LAYOUT: readonly RegionLayout[] = [
  { region: 'UL', index: 0, branch: 'eye', offset: 0, aus: EYE_AUS },
  { region: 'UR', index: 1, branch: 'eye', offset: EYE_AUS.length, aus: EYE_AUS },
  { region: 'LL', index: 2, branch: 'mouth', offset: 2 * EYE_AUS.length, aus: MOUTH_AUS },
  { region: 'LR', index: 3, branch: 'mouth', offset: 2 * EYE_AUS.length + MOUTH_AUS.length, aus: MOUTH_AUS }
]

/** Length of `au_prob` / `au_importance` (26). */
export const AU_VECTOR_LENGTH = 2 * (EYE_AUS.length + MOUTH_AUS.length)

/** The two regions (left, mirrored right) of each face half. */
export const HALF_REGIONS: Record<HalfName, readonly [RegionLayout, RegionLayout]> = {
  eyes: [REGION_LAYOUT[0], REGION_LAYOUT[1]],
  mouth: [REGION_LAYOUT[2], REGION_LAYOUT[3]]
}

/**
 * Per AU of a half: the mean of its left and mirrored-right values in a 26-vector, in the half's AU
 * order (EYE_AUS or MOUTH_AUS).
 */
export function halfAuMeans(v: ArrayLike<number>, half: HalfName): number[] {
  const [a, b] = HALF_REGIONS[half]
  return a.aus.map((_, k) => (v[a.offset + k] + v[b.offset + k]) / 2)
}

/** ρ: the 13 per-AU values (eye AUs then mouth AUs, ALL_AUS order), each the mean of its two regions. */
export function auMeans(v: ArrayLike<number>): number[] {
  return [...halfAuMeans(v, 'eyes'), ...halfAuMeans(v, 'mouth')]
}

/**
 * Linear map from ρ (13 values, ALL_AUS order) to per-class prior support: class c → mean ρ over its
 * Table-I AUs; a class with no AUs (neutral) → 1 − mean of all ρ. support = ρ·weights + bias.
 */
export function priorSupportMatrix(classes: readonly ClassName[]): { weights: number[][]; bias: number[] } {
  const weights = ALL_AUS.map(() => classes.map(() => 0))
  const bias = classes.map(() => 0)
  classes.forEach((cls, c) => {
    const aus = [...AU_PRIOR[cls].eye, ...AU_PRIOR[cls].mouth]
    if (aus.length === 0) {
      bias[c] = 1
      for (let a = 0; a < ALL_AUS.length; a++) weights[a][c] = -1 / ALL_AUS.length
    } else {
      for (const au of aus) weights[(ALL_AUS as readonly number[]).indexOf(au)][c] = 1 / aus.length
    }
  })
  return { weights, bias }
}

/** Prior support per class (length C) of one stored 26-value AU vector, through `priorSupportMatrix`. */
export function priorSupportOf(auProb: ArrayLike<number>, classes: readonly ClassName[]): number[] {
  const rho = auMeans(auProb)
  const { weights, bias } = priorSupportMatrix(classes)
  return classes.map((_, c) => rho.reduce((s, x, a) => s + x * weights[a][c], bias[c]))
}
