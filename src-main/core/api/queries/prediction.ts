/**
 * A stored prediction (runs.ts, Float32 BLOBs in the run's class order) → the API's PredictionView
 * (per region probabilities, gate, AU evidence, prior support), in the PROJECT's class order. A run
 * keeps a copy of the class list it was trained on; classes are matched by name so a class appended
 * to the project after training reads as probability 0 instead of shifting every index.
 */
import { AU_NAMES, type ClassName } from '../../classes'
import { priorSupportOf, REGION_LAYOUT } from '../../model/prediction-layout'
import type { Prediction } from '../../store/runs'
import type { PredictionView, RegionView } from '../contract'

/** Rounds float32 noise away (7 significant digits) so the renderer shows 0.3, not 0.30000001. */
function r(x: number): number {
  return Number(x.toPrecision(7))
}

/** Maps a per-class vector from the run's class order to the project's. */
export function remap(
  v: ArrayLike<number>,
  runClasses: readonly string[],
  projectClasses: readonly string[]
): number[] {
  return projectClasses.map((c) => {
    const k = runClasses.indexOf(c)
    return k >= 0 ? r(v[k]) : 0
  })
}

export function predictionView(
  runId: number,
  p: Prediction,
  runClasses: readonly string[],
  projectClasses: readonly ClassName[]
): PredictionView {
  const C = runClasses.length
  const per = (v: Float32Array | null): number[] | null => (v ? remap(v, runClasses, projectClasses) : null)
  let regions: RegionView[] | null = null
  if (p.regionProbs || p.gate || p.auProb) {
    regions = REGION_LAYOUT.map((g, j) => ({
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
    priorSupport: p.auProb ? priorSupportOf(p.auProb, projectClasses).map(r) : null
  }
}
