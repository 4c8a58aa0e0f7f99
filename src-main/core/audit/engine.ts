/**
 * The audit engine over in-memory tables (no I/O): per-image signals, the ranking score, per-class
 * confident thresholds, flags, suggestions and explanations. `runAudit` (./store) feeds it from the
 * project database; tests feed it hand-made tables.
 *
 * Everything is in the project's class space: vectors have one entry per project class (classes a
 * run did not know are 0 there, and images labelled with such a class are not scored).
 */
import type { AuditConfig } from './config'
import { FLAG_BITS, FLAG_NAMES, type FlagName } from './flags'
import { argmax } from '../util/vector'
import { givenDistribution, labelSignals, normalizedEntropy, poiScore, quantile, type LabelSignals } from './signals'
import { findLabelIssues, labelQualityScores } from './cl'
import { explain, halfVote, type Explanation } from './explain'

/** The model outputs of one image (project class space; see store/runs.ts for the layouts). */
export interface AuditPrediction {
  fold: number | null
  trnProbs: ArrayLike<number>
  oimSoft: ArrayLike<number> | null
  oimSoftT1: ArrayLike<number> | null
  regionProbs: ArrayLike<number> | null
  gate: ArrayLike<number> | null
  uemConfidence: number | null
  auProb: ArrayLike<number> | null
  auImportance: ArrayLike<number> | null
}

export interface AuditImage {
  imageId: number
  /** The label to judge (project class index); null = not scored (unlabeled, excluded, class unknown to the run). */
  label: number | null
  /** The current label for duplicate comparisons (any labelled state), null when none. */
  groupLabel: number | null
  /** Vote distribution from the source, passed only while the label is unchanged. */
  votes: number[] | null
  /** Curator soft label (state 'ambiguous'). */
  softLabel: number[] | null
  dupGroup: number | null
  face: 'no-face' | 'several-faces' | null
  pred: AuditPrediction | null
}

/** Signals stored per item (LabelSignals plus what the flags used). */
export interface ItemSignals extends Partial<LabelSignals> {
  regionConflict?: number
  eyesVote?: number
  mouthVote?: number
  /**
   * The distribution the suggestion is the argmax of, per class: m = α·q + (1 − α)·p̂ (POI), p̂ (CL).
   * Absent in audits written before it was stored.
   */
  evidence?: number[]
  /**
   * The audit's own judgement of the image, kept once a decision's re-judgement (reassessImages) has
   * rewritten the row differently: the review's progress counts the audit's work list, and the
   * learning queue learns from what the curator was shown, not from the judgement of the new label.
   */
  audit?: AuditView
}

/** An audit item as the audit itself wrote it (see ItemSignals.audit). */
export interface AuditView {
  givenLabel: number | null
  score: number | null
  suggestedLabel: number | null
  strength: number | null
  flags: number
  signals: Omit<ItemSignals, 'audit'> | null
}

export interface AuditItem {
  imageId: number
  givenLabel: number | null
  /** [0, 1], lower = more likely a wrong label; null = not scored. */
  score: number | null
  /** 1 = lowest score; null = not scored. */
  rank: number | null
  suggestedLabel: number | null
  strength: number | null
  flags: number
  signals: ItemSignals | null
  explanation: Explanation
}

export interface EngineSummary {
  images: number
  scored: number
  /** Per-class thresholds t_j actually used (after scale and overrides); 2 = class never confident. */
  thresholds: number[]
  /**
   * Where likely_mislabeled cuts the ranking (POI): the threshold rule estimates how many labels are
   * wrong (`count`), and the flag goes to that many of the lowest-scored images that have a
   * suggestion, so the flag is the top of the ranking. `rank`/`score`: the last flagged image's.
   * Absent in audits written before the flag was a cut; null for the CL baseline.
   */
  mislabeledCut?: { count: number; rank: number | null; score: number | null } | null
  /** UEM confidence cut-offs (values at the configured percentiles), null without UEM. */
  confidenceCutMislabeled: number | null
  confidenceCutAmbiguous: number | null
  /** Confident joint rows = given, columns = confident guess (uncalibrated counts). */
  confidentJoint: number[][]
  calibratedJoint: number[][] | null
  /** flags.perClass[f][c]: items with flag FLAG_NAMES[f] whose given label is c. */
  flags: { names: FlagName[]; totals: number[]; perClass: number[][]; unlabelled: number[] }
}

const clamp01 = (v: number): number => Math.min(1, Math.max(0, v))
const softOf = (p: AuditPrediction): ArrayLike<number> | null => p.oimSoftT1 ?? p.oimSoft

/**
 * What judging one image needs from the whole audit: its per-class thresholds t_j and UEM cut-offs.
 * computeAudit derives them from all images; reassessImages reads them back from the stored summary,
 * so a single image re-judged after a decision meets exactly the rules it was first audited by.
 */
interface JudgeContext {
  C: number
  config: AuditConfig
  /** Per-class thresholds t_j (2 = class never confident). */
  thresholds: readonly number[]
  cutMis: number | null
  cutAmb: number | null
}

/** The label signals of a scored image and the distribution its thresholds and suggestion use (m or p̂). */
function signalsOf(
  im: AuditImage,
  C: number,
  config: AuditConfig
): { s: LabelSignals & { combined: number[] }; m: number[] } {
  const poi = config.method === 'poi'
  const p = im.pred!
  const g = givenDistribution(im.label!, C, config.useVotes ? im.votes : null, im.softLabel)
  const s = labelSignals(
    im.label!,
    g,
    p.trnProbs,
    poi ? softOf(p) : null,
    poi ? p.uemConfidence : null,
    config.score.softWeight
  )
  return { s, m: poi ? s.combined : Array.from(p.trnProbs) }
}

/**
 * Judges one scored image: suggestion, strength, the per-image flags (ambiguous, region_conflict,
 * *_disagrees), its signals, and `confident` = the confident guess (−1: none). likely_mislabeled is
 * left to the caller (POI: a cut of the ranking; CL: confident learning over all images). `score` is
 * the POI score; the CL baseline's score is set by the caller.
 */
function judge(
  jc: JudgeContext,
  im: AuditImage,
  s: LabelSignals & { combined: number[] },
  m: ArrayLike<number>
): { item: AuditItem; confident: number } {
  const { C, config } = jc
  const poi = config.method === 'poi'
  const p = im.pred!
  const yi = im.label!
  const t = jc.thresholds
  const c = poi ? p.uemConfidence : null
  // Confident guess with the (scaled/overridden) thresholds: one passing class, or the argmax of several.
  const passing: number[] = []
  for (let k = 0; k < C; k++) if (m[k] >= t[k] - 1e-6) passing.push(k)
  const guess = passing.length === 0 ? -1 : passing.length === 1 ? passing[0] : argmax(m)
  const top = argmax(m)
  let flags = 0
  // The suggestion is always the top of m, the distribution the UI shows as producing it.
  const suggested = top !== yi ? top : null
  const w = c == null ? 1 : config.score.confidenceFloor + (1 - config.score.confidenceFloor) * clamp01(c)
  const strength = suggested != null ? clamp01(w * (m[suggested] - m[yi])) : null

  const lowC = c != null && jc.cutAmb != null && c < jc.cutAmb
  const flat = s.softEntropy >= config.ambiguous.flatEntropy
  const amb = { either: lowC || flat, both: lowC && flat, confidence: lowC, flat }[config.ambiguous.mode]
  if (amb) flags |= FLAG_BITS.ambiguous

  const extra: ItemSignals = {}
  if (poi && p.regionProbs) {
    const eyes = halfVote(p.regionProbs, p.gate, C, 0, 1)
    const mouth = halfVote(p.regionProbs, p.gate, C, 2, 3)
    const ve = argmax(eyes.dist)
    const vm = argmax(mouth.dist)
    const ge = eyes.weight ?? 0.5
    const gm = mouth.weight ?? 0.5
    const strengthRc = ve !== vm ? 2 * Math.min(ge, gm) * Math.min(eyes.dist[ve], mouth.dist[vm]) : 0
    extra.regionConflict = strengthRc
    extra.eyesVote = ve
    extra.mouthVote = vm
    if (strengthRc >= config.regionConflict.minStrength && strengthRc > 0) flags |= FLAG_BITS.region_conflict
  }
  if (argmax(p.trnProbs) !== yi) flags |= FLAG_BITS.trn_disagrees
  const q = softOf(p)
  if (poi && q && argmax(q) !== yi) flags |= FLAG_BITS.oim_disagrees

  const { combined: _m, ...signals } = s
  const evidence = Array.from(m)
  const item: AuditItem = {
    imageId: im.imageId,
    givenLabel: yi,
    score: poi ? poiScore(s.agreement, c, config.score.confidenceFloor) : null,
    rank: null,
    suggestedLabel: suggested,
    strength,
    flags,
    signals: poi
      ? { ...signals, ...extra, evidence }
      : {
          trnSelfConfidence: s.trnSelfConfidence,
          trnMargin: s.trnMargin,
          trnJs: s.trnJs,
          trnKl: s.trnKl,
          softEntropy: normalizedEntropy(p.trnProbs),
          evidence
        },
    explanation: null as unknown as Explanation
  }
  return { item, confident: guess }
}

/** Per image: the labelled members of its duplicate group that carry another label (only images that have some). */
function duplicateConflicts(images: readonly AuditImage[]): Map<number, AuditImage[]> {
  const groups = new Map<number, AuditImage[]>()
  for (const im of images) if (im.dupGroup != null) groups.set(im.dupGroup, [...(groups.get(im.dupGroup) ?? []), im])
  const dupOf = new Map<number, AuditImage[]>()
  for (const members of groups.values()) {
    const labelled = members.filter((m) => m.groupLabel != null)
    if (new Set(labelled.map((m) => m.groupLabel)).size < 2) continue
    for (const m of labelled)
      dupOf.set(
        m.imageId,
        labelled.filter((o) => o.groupLabel !== m.groupLabel)
      )
  }
  return dupOf
}

/** Model-independent flags: duplicates with different labels, face-alignment findings. */
function independentFlags(im: AuditImage, dupOf: Map<number, AuditImage[]>): number {
  let f = 0
  if (dupOf.has(im.imageId)) f |= FLAG_BITS.duplicate_conflict
  if (im.face === 'no-face') f |= FLAG_BITS.no_face
  if (im.face === 'several-faces') f |= FLAG_BITS.several_faces
  return f
}

const unscored = (im: AuditImage, flags: number): AuditItem => ({
  imageId: im.imageId,
  givenLabel: im.label ?? im.groupLabel,
  score: null,
  rank: null,
  suggestedLabel: null,
  strength: null,
  flags,
  signals: null,
  explanation: null as unknown as Explanation
})

/** The item's "why" text (and its structured parts), from its final flags and suggestion. */
function explainItem(
  classes: readonly string[],
  config: AuditConfig,
  it: AuditItem,
  im: AuditImage,
  dupOf: Map<number, AuditImage[]>
): Explanation {
  const poi = config.method === 'poi'
  const p = im.pred
  const notes: string[] = []
  if (it.flags & FLAG_BITS.no_face) notes.push('the aligner found no face')
  if (it.flags & FLAG_BITS.several_faces) notes.push('the aligner found several faces')
  return explain({
    classes,
    given: it.givenLabel,
    suggested: it.suggestedLabel,
    strength: it.strength,
    uemConfidence: poi ? (p?.uemConfidence ?? null) : null,
    probs: p ? (it.signals?.evidence ?? p.trnProbs) : [],
    regionProbs: poi && p ? p.regionProbs : null,
    gate: poi && p ? p.gate : null,
    auProb: poi && p ? p.auProb : null,
    auImportance: poi && p ? p.auImportance : null,
    duplicates: (dupOf.get(it.imageId) ?? []).map((o) => ({
      imageId: o.imageId,
      label: o.groupLabel != null ? classes[o.groupLabel] : null
    })),
    notes,
    auActive: config.explanation.auActive,
    maxAus: config.explanation.maxAus
  })
}

/** Runs the audit over `images` with `config`. `classes` names the project's class indices. */
export function computeAudit(
  classes: readonly string[],
  images: readonly AuditImage[],
  config: AuditConfig
): { items: AuditItem[]; summary: EngineSummary } {
  const C = classes.length
  const scored = images.filter((im) => im.label != null && im.pred != null)
  const y = scored.map((im) => im.label!)
  const poi = config.method === 'poi'

  // Signals and the distribution whose thresholds decide the flags: m (POI) or p̂ (CL).
  const sm = scored.map((im) => signalsOf(im, C, config))
  const dist = sm.map((x) => x.m)

  const cl = findLabelIssues(y, dist, C, {
    filterBy: poi ? 'confident_learning' : config.cl.filterBy,
    minExamplesPerClass: config.cl.minExamplesPerClass,
    fracNoise: config.cl.fracNoise
  })
  // The mislabeled.* threshold settings shape the POI rule; the CL baseline stays cleanlab's own.
  const t = poi
    ? cl.thresholds.map(
        (v, j) =>
          config.mislabeled.thresholdOverrides[classes[j]] ?? (v >= 2 ? 2 : v * config.mislabeled.thresholdScale)
      )
    : cl.thresholds

  const uems = poi ? scored.map((im) => im.pred!.uemConfidence).filter((c): c is number => c != null) : []
  const cutMis =
    uems.length && config.mislabeled.minConfidencePercentile > 0
      ? quantile(uems, config.mislabeled.minConfidencePercentile)
      : null
  const cutAmb = uems.length ? quantile(uems, config.ambiguous.confidencePercentile) : null
  const clScores = poi ? null : labelQualityScores(y, dist, config.cl.ranking)
  const jc: JudgeContext = { C, config, thresholds: t, cutMis, cutAmb }

  const joint = poi ? Array.from({ length: C }, () => new Array<number>(C).fill(0)) : cl.confidentJoint
  const items = new Map<number, AuditItem>()
  let ruleCount = 0
  scored.forEach((im, i) => {
    const { item, confident: guess } = judge(jc, im, sm[i].s, sm[i].m)
    const yi = y[i]
    const m = sm[i].m
    const c = poi ? im.pred!.uemConfidence : null
    if (poi && guess >= 0) joint[yi][guess]++
    // POI: the threshold rule only counts (see mislabeledCut); the flag itself is set on the ranking below.
    if (poi) {
      const gated = cutMis != null && c != null && c < cutMis
      if (guess >= 0 && guess !== yi && m[guess] - m[yi] >= config.mislabeled.minMargin && !gated) ruleCount++
    } else {
      if (cl.issues[i]) item.flags |= FLAG_BITS.likely_mislabeled
      item.score = clScores![i]
    }
    items.set(im.imageId, item)
  })

  const dupOf = duplicateConflicts(images)
  for (const im of images) {
    const f = independentFlags(im, dupOf)
    if (!f) continue
    const it = items.get(im.imageId)
    if (it) it.flags |= f
    else items.set(im.imageId, unscored(im, f))
  }

  // Ranks: ascending score, ties by image id, so the order is reproducible.
  const ranked = [...items.values()]
    .filter((it) => it.score != null)
    .sort((a, b) => a.score! - b.score! || a.imageId - b.imageId)
  ranked.forEach((it, i) => (it.rank = i + 1))
  let mislabeledCut: EngineSummary['mislabeledCut'] = null
  if (poi) {
    const flagged = ranked.filter((it) => it.suggestedLabel != null).slice(0, ruleCount)
    for (const it of flagged) it.flags |= FLAG_BITS.likely_mislabeled
    const last = flagged[flagged.length - 1]
    mislabeledCut = { count: flagged.length, rank: last?.rank ?? null, score: last?.score ?? null }
  }

  const byId = new Map(images.map((im) => [im.imageId, im]))
  for (const it of items.values()) it.explanation = explainItem(classes, config, it, byId.get(it.imageId)!, dupOf)

  const perClass = FLAG_NAMES.map(() => new Array<number>(C).fill(0))
  const unlabelled = FLAG_NAMES.map(() => 0)
  const totals = FLAG_NAMES.map(() => 0)
  for (const it of items.values()) {
    FLAG_NAMES.forEach((n, f) => {
      if (!(it.flags & FLAG_BITS[n])) return
      totals[f]++
      if (it.givenLabel != null) perClass[f][it.givenLabel]++
      else unlabelled[f]++
    })
  }
  return {
    items: [...items.values()].sort((a, b) => a.imageId - b.imageId),
    summary: {
      images: images.length,
      scored: scored.length,
      thresholds: t,
      mislabeledCut,
      confidenceCutMislabeled: cutMis,
      confidenceCutAmbiguous: cutAmb,
      confidentJoint: joint,
      calibratedJoint: poi ? null : cl.calibratedJoint,
      flags: { names: [...FLAG_NAMES], totals, perClass, unlabelled }
    }
  }
}

/**
 * Re-judges a few images of a stored audit after their labels changed (a curator decision, an undo),
 * with the audit's own thresholds and cut-offs from `summary`, through the same `judge` as
 * computeAudit, so the flags, suggestion and "why" describe the label the image has now.
 *
 * `images` are the changed images plus the other members of their duplicate groups (their
 * duplicate_conflict depends on the changed label). likely_mislabeled is the ranking cut applied to
 * the new score: POI flags an image with a suggestion whose score is at or below the stored cut's
 * score (what the full audit does, ties aside); the CL baseline flags an off-diagonal confident guess
 * (its confident-joint rule; cleanlab's prune-by-noise-rate counts need the whole table). Ranks are
 * left null: the store places the new score among the stored ones.
 */
export function reassessImages(
  classes: readonly string[],
  images: readonly AuditImage[],
  config: AuditConfig,
  summary: EngineSummary
): AuditItem[] {
  const C = classes.length
  const poi = config.method === 'poi'
  const jc: JudgeContext = {
    C,
    config,
    thresholds: summary.thresholds,
    cutMis: summary.confidenceCutMislabeled,
    cutAmb: summary.confidenceCutAmbiguous
  }
  const dupOf = duplicateConflicts(images)
  return images.map((im) => {
    let it: AuditItem
    if (im.label != null && im.pred != null) {
      const { s, m } = signalsOf(im, C, config)
      const r = judge(jc, im, s, m)
      it = r.item
      if (poi) {
        const cut = summary.mislabeledCut?.score
        if (it.suggestedLabel != null && cut != null && it.score! <= cut) it.flags |= FLAG_BITS.likely_mislabeled
      } else {
        if (r.confident >= 0 && r.confident !== im.label) it.flags |= FLAG_BITS.likely_mislabeled
        it.score = labelQualityScores([im.label], [m], config.cl.ranking)[0]
      }
      it.flags |= independentFlags(im, dupOf)
    } else it = unscored(im, independentFlags(im, dupOf))
    it.explanation = explainItem(classes, config, it, im, dupOf)
    return it
  })
}
