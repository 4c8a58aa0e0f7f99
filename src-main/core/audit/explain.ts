/**
 * Per-image explanations a curator can check against the picture: for the eye and mouth halves of
 * the face, the most active AUs (with their importance), which of them are Table-I AUs of the
 * given and of the suggested class, the half's vote and its gate weight, and one sentence such as
 * "mouth: AU12 lip corner puller 0.91, AU26 jaw drop 0.80 → happiness; eyes: AU4 brow lowerer 0.75
 * → anger; labelled: surprise; suggested: happiness (strength 0.83)".
 */
import { AU_NAMES, AU_PRIOR, type ClassName } from '../classes'
import { HALF_REGIONS, halfAuMeans, type HalfName } from '../model/prediction-layout'
import { argmax } from '../util/vector'

export type { HalfName }

/** One AU of a face half: ρ and w averaged over the left and the mirrored right subregion. */
export interface AuEvidence {
  au: number
  name: string
  /** Occurrence probability ρ in [0, 1]. */
  prob: number
  /** Importance weight w in [0, 1], null when the run did not store it. */
  importance: number | null
  /** A Table-I AU of the given class in this half. */
  ofGiven: boolean
  /** A Table-I AU of the suggested class in this half. */
  ofSuggested: boolean
}

export interface HalfExplanation {
  half: HalfName
  /** Gate weight of the half: g_UL + g_UR (eyes) or g_LL + g_LR (mouth); null without a gate. */
  gate: number | null
  /** argmax of the gate-weighted mean of the half's two region distributions (class name). */
  vote: string | null
  voteProb: number | null
  /** The active AUs (ρ ≥ auActive), most active first, at most maxAus. */
  aus: AuEvidence[]
  /** Table-I AUs of the given / suggested class for this half. */
  givenPrior: number[]
  suggestedPrior: number[]
}

export interface Explanation {
  given: string | null
  suggested: string | null
  strength: number | null
  uemConfidence: number | null
  /** Eyes and mouth, ordered by gate weight (the half the model trusted most first); null without POI outputs. */
  halves: HalfExplanation[] | null
  /** The model's top 3 classes, only when there are no region outputs (else empty). Numbers keep 4 decimals. */
  top: { label: string; p: number }[]
  /** Images with the same bytes and another label. */
  duplicates: { imageId: number; label: string | null }[]
  text: string
}

/** Inputs of {@link explain}; vectors are in the run's class space (names in `classes`). */
export interface ExplainInput {
  classes: readonly string[]
  given: number | null
  suggested: number | null
  strength: number | null
  uemConfidence: number | null
  /** Distribution for `top` (length C). */
  probs: ArrayLike<number>
  /** Float32[4·C] UL, UR, LL, LR. */
  regionProbs: ArrayLike<number> | null
  /** Float32[4]. */
  gate: ArrayLike<number> | null
  /** Float32[26]: UL 6, UR 6, LL 7, LR 7. */
  auProb: ArrayLike<number> | null
  auImportance: ArrayLike<number> | null
  duplicates?: { imageId: number; label: string | null }[]
  /** Extra findings for the sentence (e.g. "the aligner found no face"). */
  notes?: string[]
  auActive: number
  maxAus: number
}

function prior(cls: string | null, half: HalfName): number[] {
  if (!cls || !(cls in AU_PRIOR)) return []
  return AU_PRIOR[cls as ClassName][half === 'eyes' ? 'eye' : 'mouth']
}

/** The gate-weighted vote of one half from regions a and b. */
export function halfVote(
  regionProbs: ArrayLike<number>,
  gate: ArrayLike<number> | null,
  C: number,
  a: number,
  b: number
): { dist: number[]; weight: number | null } {
  const ga = gate ? gate[a] : 0.5
  const gb = gate ? gate[b] : 0.5
  const s = ga + gb
  const wa = s > 0 ? ga / s : 0.5
  const dist = Array.from({ length: C }, (_, k) => wa * regionProbs[a * C + k] + (1 - wa) * regionProbs[b * C + k])
  return { dist, weight: gate ? s : null }
}

function halfEvidence(x: ExplainInput, half: HalfName): HalfExplanation {
  const C = x.classes.length
  const given = x.given != null ? x.classes[x.given] : null
  const sugg = x.suggested != null ? x.classes[x.suggested] : null
  const [ra, rb] = HALF_REGIONS[half].map((g) => g.index)
  let vote: string | null = null
  let voteProb: number | null = null
  let gate: number | null = x.gate ? x.gate[ra] + x.gate[rb] : null
  if (x.regionProbs) {
    const v = halfVote(x.regionProbs, x.gate, C, ra, rb)
    const k = argmax(v.dist)
    vote = x.classes[k]
    voteProb = v.dist[k]
    gate = v.weight
  }
  const givenPrior = prior(given, half)
  const suggestedPrior = prior(sugg, half)
  const aus: AuEvidence[] = []
  if (x.auProb) {
    const probs = halfAuMeans(x.auProb, half)
    const importances = x.auImportance ? halfAuMeans(x.auImportance, half) : null
    HALF_REGIONS[half][0].aus.forEach((au, m) => {
      const prob = probs[m]
      if (prob < x.auActive) return
      const importance = importances ? importances[m] : null
      aus.push({
        au,
        name: AU_NAMES[au] ?? `AU${au}`,
        prob,
        importance,
        ofGiven: givenPrior.includes(au),
        ofSuggested: suggestedPrior.includes(au)
      })
    })
    aus.sort((p, q) => q.prob - p.prob || p.au - q.au)
    aus.splice(x.maxAus)
  }
  for (const a of aus) {
    a.prob = r4(a.prob)
    if (a.importance != null) a.importance = r4(a.importance)
  }
  return {
    half,
    gate: gate == null ? null : r4(gate),
    vote,
    voteProb: voteProb == null ? null : r4(voteProb),
    aus,
    givenPrior,
    suggestedPrior
  }
}

const f2 = (v: number): string => v.toFixed(2)
/** Stored explanations keep 4 decimals: plenty for display, and 35k of them stay small. */
const r4 = (v: number): number => Math.round(v * 1e4) / 1e4

function halfText(h: HalfExplanation): string {
  const aus = h.aus.length ? h.aus.map((a) => `AU${a.au} ${a.name} ${f2(a.prob)}`).join(', ') : 'no active AU'
  return `${h.half === 'eyes' ? 'eyes' : 'mouth'}: ${aus}${h.vote ? ` → ${h.vote}` : ''}`
}

/** Builds the explanation record and its sentence. */
export function explain(x: ExplainInput): Explanation {
  const given = x.given != null ? x.classes[x.given] : null
  const suggested = x.suggested != null ? x.classes[x.suggested] : null
  const hasRegions = !!(x.regionProbs || x.auProb)
  const halves = hasRegions ? [halfEvidence(x, 'eyes'), halfEvidence(x, 'mouth')] : null
  // The half the gate trusts more comes first (ties: mouth, whose AUs usually carry the expression).
  halves?.sort((a, b) => (b.gate ?? 0) - (a.gate ?? 0) || (a.half === 'mouth' ? -1 : 1))
  // The top classes are only spelled out when there are no region outputs to explain with.
  const top = halves
    ? []
    : Array.from(x.probs, (p, k) => ({ label: x.classes[k], p }))
        .sort((a, b) => b.p - a.p)
        .slice(0, 3)
  const parts: string[] = []
  if (halves) parts.push(...halves.map(halfText))
  else parts.push(top.length ? `model: ${top.map((t) => `${t.label} ${f2(t.p)}`).join(', ')}` : 'model: no prediction')
  parts.push(...(x.notes ?? []))
  parts.push(`labelled: ${given ?? 'none'}`)
  parts.push(
    suggested
      ? `suggested: ${suggested}${x.strength != null ? ` (strength ${f2(x.strength)})` : ''}`
      : 'no other label suggested'
  )
  const duplicates = x.duplicates ?? []
  if (duplicates.length)
    parts.push(`same image as ${duplicates.map((d) => `#${d.imageId} labelled ${d.label ?? 'none'}`).join(', ')}`)
  return {
    given,
    suggested,
    strength: x.strength == null ? null : r4(x.strength),
    uemConfidence: x.uemConfidence == null ? null : r4(x.uemConfidence),
    halves,
    top: top.map((t) => ({ label: t.label, p: r4(t.p) })),
    duplicates,
    text: parts.join('; ')
  }
}
