/**
 * A stored prediction (runs.ts, Float32 BLOBs in the run's class order) → the API's PredictionView
 * (per region probabilities, gate, AU evidence, prior support), in the PROJECT's class order. A run
 * keeps a copy of the class list it was trained on; classes are matched by name so a class appended
 * to the project after training reads as probability 0 instead of shifting every index.
 */
import { AU_NAMES, AU_PRIOR, EYE_AUS, MOUTH_AUS, type ClassName } from '../../classes'
import type { Prediction } from '../../store/runs'
import type { PredictionView, RegionName, RegionView } from '../contract'

const REGIONS: { region: RegionName; branch: 'eye' | 'mouth'; offset: number; aus: readonly number[] }[] = [
  { region: 'UL', branch: 'eye', offset: 0, aus: EYE_AUS },
  { region: 'UR', branch: 'eye', offset: EYE_AUS.length, aus: EYE_AUS },
  { region: 'LL', branch: 'mouth', offset: 2 * EYE_AUS.length, aus: MOUTH_AUS },
  { region: 'LR', branch: 'mouth', offset: 2 * EYE_AUS.length + MOUTH_AUS.length, aus: MOUTH_AUS }
]

/** Rounds float32 noise away (7 significant digits) so the renderer shows 0.3, not 0.30000001. */
function r(x: number): number {
  return Number(x.toPrecision(7))
}

/** Maps a per-class vector from the run's class order to the project's. */
export function remap(v: ArrayLike<number>, runClasses: readonly string[], projectClasses: readonly string[]): number[] {
  return projectClasses.map((c) => {
    const k = runClasses.indexOf(c)
    return k >= 0 ? r(v[k]) : 0
  })
}

/** Mean occurrence probability of each AU (left and mirrored-right regions averaged), keyed by AU id. */
export function meanAuProb(auProb: ArrayLike<number>): Map<number, number> {
  const out = new Map<number, number>()
  for (const [a, b] of [
    [REGIONS[0], REGIONS[1]],
    [REGIONS[2], REGIONS[3]]
  ]) {
    a.aus.forEach((au, k) => out.set(au, (auProb[a.offset + k] + auProb[b.offset + k]) / 2))
  }
  return out
}

/** Per class: mean ρ over the class's Table-I AUs; neutral: 1 − mean of all ρ (spec §5). */
export function priorSupport(auProb: ArrayLike<number>, classes: readonly ClassName[]): number[] {
  const mean = meanAuProb(auProb)
  const all = [...mean.values()]
  return classes.map((c) => {
    const aus = [...AU_PRIOR[c].eye, ...AU_PRIOR[c].mouth]
    if (!aus.length) return r(1 - all.reduce((s, x) => s + x, 0) / all.length)
    return r(aus.reduce((s, au) => s + (mean.get(au) ?? 0), 0) / aus.length)
  })
}

export function predictionView(runId: number, p: Prediction, runClasses: readonly string[], projectClasses: readonly ClassName[]): PredictionView {
  const C = runClasses.length
  const per = (v: Float32Array | null): number[] | null => (v ? remap(v, runClasses, projectClasses) : null)
  let regions: RegionView[] | null = null
  if (p.regionProbs || p.gate || p.auProb) {
    regions = REGIONS.map((g, j) => ({
      region: g.region,
      branch: g.branch,
      gate: p.gate ? r(p.gate[j]) : null,
      probs: p.regionProbs ? remap(p.regionProbs.subarray(j * C, (j + 1) * C), runClasses, projectClasses) : null,
      aus: p.auProb
        ? g.aus.map((au, k) => ({
            au,
            name: AU_NAMES[au] ?? `AU${au}`,
            p: r(p.auProb![g.offset + k]),
            importance: p.auImportance ? r(p.auImportance[g.offset + k]) : null
          }))
        : []
    }))
  }
  return {
    runId,
    fold: p.fold,
    trnProbs: remap(p.trnProbs, runClasses, projectClasses),
    oimSoft: per(p.oimSoft),
    oimSoftT1: per(p.oimSoftT1),
    uemUncertainty: p.uemUncertainty,
    uemConfidence: p.uemConfidence,
    regions,
    priorSupport: p.auProb ? priorSupport(p.auProb, projectClasses) : null
  }
}
