import { describe, expect, it } from 'vitest'
import { computeAudit, type AuditImage } from '../../../src-main/core/audit/engine'
import { img } from './audit-table'
import { applyOverrides, resolveAuditConfig } from '../../../src-main/core/audit/config'
import { FLAG_BITS, flagMask, flagNames } from '../../../src-main/core/audit/flags'
import {
  givenDistribution,
  jsDivergence,
  klDivergence,
  labelSignals,
  margin,
  normalizedEntropy,
  poiScore,
  quantile
} from '../../../src-main/core/audit/signals'

describe('label-quality signals', () => {
  it('self-confidence, margin, divergences and entropy on hand-computed values', () => {
    const g = [1, 0]
    const m = [0.5, 0.5]
    // M = [.75, .25]; KL(g‖M) = log2(4/3) = .415037; KL(m‖M) = .5·log2(2/3) + .5·log2(2) = .207519.
    expect(jsDivergence(g, m)).toBeCloseTo(0.311278, 6)
    expect(jsDivergence([1, 0], [0, 1])).toBeCloseTo(1, 12)
    expect(jsDivergence([0.3, 0.7], [0.3, 0.7])).toBeCloseTo(0, 12)
    expect(klDivergence([1, 0, 0], [0.25, 0.5, 0.25])).toBeCloseTo(Math.log(4), 12)
    expect(margin([0.2, 0.7, 0.1], 0)).toBeCloseTo(-0.5, 12)
    expect(margin([0.6, 0.3, 0.1], 0)).toBeCloseTo(0.3, 12)
    expect(normalizedEntropy([0.25, 0.25, 0.25, 0.25])).toBeCloseTo(1, 12)
    expect(normalizedEntropy([1, 0, 0])).toBe(0)
  })

  it('the ranking score is 1 − w·JS(g‖m) with w = f + (1 − f)·c', () => {
    const s = labelSignals(0, [1, 0], [0.5, 0.5], [0.5, 0.5], 0.5, 0.5)
    expect(s.agreement).toBeCloseTo(1 - 0.311278, 6)
    // c = .5, f = .5 → w = .75 → 1 − .75·.311278 = .766541
    expect(poiScore(s.agreement, 0.5, 0.5)).toBeCloseTo(0.766541, 6)
    expect(poiScore(s.agreement, null, 0.5)).toBeCloseTo(0.688722, 6)
    expect(poiScore(1, 0, 0.5)).toBe(1)
    // m mixes the soft label and the TRN probabilities with α.
    const mixed = labelSignals(0, [1, 0, 0], [0.2, 0.8, 0], [0.6, 0.4, 0], null, 0.25)
    expect(mixed.combinedSelfConfidence).toBeCloseTo(0.25 * 0.6 + 0.75 * 0.2, 12)
  })

  it('uses votes (when they still back the label) or a kept soft label as the given distribution', () => {
    expect(givenDistribution(1, 3, [0, 7, 3], null)).toEqual([0, 0.7, 0.3])
    // The label was changed away from the votes' majority: the votes no longer describe it.
    expect(givenDistribution(2, 3, [0, 7, 3], null)).toEqual([0, 0, 1])
    expect(givenDistribution(0, 3, null, [0.5, 0.5, 0])).toEqual([0.5, 0.5, 0])
  })

  it('quantile interpolates like numpy', () => {
    expect(quantile([0.1, 0.5, 0.6, 0.7, 0.8, 0.85, 0.9, 0.9, 0.95], 1 / 3)).toBeCloseTo(0.6 + 0.1 * (2 / 3), 12)
    expect(quantile([3, 1, 2], 0.5)).toBe(2)
  })
})

// Classes: 0 happiness, 1 surprise, 2 anger.
const classes = ['happiness', 'surprise', 'anger']
function table(): AuditImage[] {
  return [
    img(1, 0, [0.8, 0.1, 0.1], 0.9, { dupGroup: 100 }),
    img(2, 0, [0.7, 0.2, 0.1], 0.8),
    img(3, 0, [0.1, 0.8, 0.1], 0.9), // planted error: looks like surprise, regions agree
    img(4, 1, [0.1, 0.8, 0.1], 0.7, { dupGroup: 100 }), // same bytes as #1, other label
    img(5, 1, [0.1, 0.7, 0.2], 0.95),
    img(6, 1, [0.1, 0.1, 0.8], 0.1), // looks like anger, but the regions disagree (c = .1)
    img(7, 2, [0.1, 0.1, 0.8], 0.85, { dupGroup: 200 }),
    img(8, 2, [0.2, 0.1, 0.7], 0.6, { dupGroup: 200 }),
    img(9, 2, [0.34, 0.33, 0.33], 0.5), // flat soft label
    img(10, null, null, null, { face: 'no-face' })
  ]
}

describe('audit engine on a hand-made table', () => {
  // Thresholds: t_happiness = (.8+.7+.1)/3 = .5333, t_surprise = (.8+.7+.1)/3 = .5333,
  // t_anger = (.8+.7+.33)/3 = .61. UEM terciles: sorted c = .1 .5 .6 .7 .8 .85 .9 .9 .95 → the
  // 1/3 quantile is .6 + (2/3)·.1 = .6667: #6 (.1), #9 (.5) and #8 (.6) lie below it.
  const run = () => computeAudit(classes, table(), resolveAuditConfig({}))

  it('computes the per-class confident thresholds and the confidence cut', () => {
    const { summary } = run()
    expect(summary.thresholds[0]).toBeCloseTo(1.6 / 3, 10)
    expect(summary.thresholds[1]).toBeCloseTo(1.6 / 3, 10)
    expect(summary.thresholds[2]).toBeCloseTo(1.83 / 3, 10)
    expect(summary.confidenceCutAmbiguous).toBeCloseTo(0.6 + 0.1 * (2 / 3), 10)
    expect(summary.scored).toBe(9)
    // Confident guesses: #3 → surprise (off-diagonal), #6 → anger (off-diagonal), #9 → none.
    expect(summary.confidentJoint).toEqual([
      [2, 1, 0],
      [0, 2, 1],
      [0, 0, 2]
    ])
  })

  it('flags likely_mislabeled only with confident evidence and agreeing regions', () => {
    const { items } = run()
    const by = new Map(items.map((it) => [it.imageId, it]))
    const mis = items.filter((it) => it.flags & FLAG_BITS.likely_mislabeled).map((it) => it.imageId)
    expect(mis).toEqual([3])
    expect(by.get(3)!.suggestedLabel).toBe(1)
    // strength = w·(m[s] − m[y]) = (.5 + .5·.9)·(.8 − .1) = .665
    expect(by.get(3)!.strength).toBeCloseTo(0.665, 10)
    // #6 has the same evidence but c = .1 lies below the 1/3 percentile: ambiguous, not mislabeled.
    expect(by.get(6)!.flags & FLAG_BITS.likely_mislabeled).toBe(0)
    expect(by.get(6)!.suggestedLabel).toBe(2)
    expect(by.get(6)!.strength).toBeCloseTo(0.55 * 0.7, 10)
    // Lowering the percentile gate to 0 lets #6 through.
    const open = computeAudit(classes, table(), applyOverrides({}, ['mislabeled.minConfidencePercentile=0']))
    expect(open.items.filter((it) => it.flags & FLAG_BITS.likely_mislabeled).map((it) => it.imageId)).toEqual([3, 6])
    // Raising every threshold above .8 leaves no confident evidence at all.
    const strict = computeAudit(classes, table(), applyOverrides({}, ['mislabeled.thresholdScale=1.6']))
    expect(strict.items.filter((it) => it.flags & FLAG_BITS.likely_mislabeled)).toHaveLength(0)
  })

  it('suggests the top of the stored evidence even when a per-class threshold passes another class (issue 14, defect 4)', () => {
    // m = [.05, .5, .45] labelled happiness: only anger passes its (overridden) threshold, but the
    // evidence's top is surprise; the suggestion and the explanation must both be surprise.
    const t = [...table(), img(11, 0, [0.05, 0.5, 0.45], 0.9)]
    const { items } = computeAudit(
      classes,
      t,
      applyOverrides({}, ['mislabeled.thresholdOverrides.surprise=0.9', 'mislabeled.thresholdOverrides.anger=0.4'])
    )
    const it11 = items.find((it) => it.imageId === 11)!
    expect(it11.signals!.evidence).toEqual([0.05, 0.5, 0.45])
    expect(it11.suggestedLabel).toBe(1)
    expect(it11.explanation.suggested).toBe('surprise')
    for (const it of items) {
      if (!it.signals?.evidence) continue
      const ev = it.signals.evidence
      const top = ev.indexOf(Math.max(...ev))
      expect(it.suggestedLabel, `image ${it.imageId}`).toBe(top === it.givenLabel ? null : top)
    }
  })

  it('likely_mislabeled is a cut of the ranking: the rule counts, the lowest scores with a suggestion get the flag (issue 14, defect 5)', () => {
    for (const cfg of [[], ['mislabeled.minConfidencePercentile=0'], ['mislabeled.thresholdScale=0.5']]) {
      const { items, summary } = computeAudit(classes, table(), applyOverrides({}, cfg))
      const withSuggestion = items
        .filter((it) => it.rank != null && it.suggestedLabel != null)
        .sort((a, b) => a.rank! - b.rank!)
      const flagged = items.filter((it) => it.flags & FLAG_BITS.likely_mislabeled)
      const cut = summary.mislabeledCut!
      expect(cut.count, cfg.join()).toBe(flagged.length)
      expect(flagged.map((it) => it.imageId).sort(), cfg.join()).toEqual(
        withSuggestion
          .slice(0, cut.count)
          .map((it) => it.imageId)
          .sort()
      )
      if (cut.count) {
        expect(cut.rank).toBe(withSuggestion[cut.count - 1].rank)
        for (const it of withSuggestion)
          expect(it.rank! <= cut.rank! ? 1 : 0, `image ${it.imageId} ${cfg.join()}`).toBe(
            it.flags & FLAG_BITS.likely_mislabeled ? 1 : 0
          )
      }
    }
    // The default rule counts #3 only; #6 (regions disagree) has a suggestion but a higher score.
    expect(computeAudit(classes, table(), resolveAuditConfig({})).summary.mislabeledCut?.count).toBe(1)
  })

  it('flags ambiguous by the UEM percentile and/or a flat soft label', () => {
    const amb = (cfg: string[]) =>
      computeAudit(classes, table(), applyOverrides({}, cfg))
        .items.filter((it) => it.flags & FLAG_BITS.ambiguous)
        .map((it) => it.imageId)
    expect(amb([])).toEqual([6, 8, 9]) // default 'confidence': c below the bottom tercile (#6, #8, #9)
    expect(amb(['ambiguous.mode=either'])).toEqual([6, 8, 9]) // low c (#6, #8, #9) or flat (#9)
    // A flat soft label with high confidence is not ambiguous by default (the spec's definition, a
    // minority by construction); 'either' takes it too.
    const confident9 = table().map((im) => (im.imageId === 9 ? img(9, 2, [0.34, 0.33, 0.33], 0.99) : im))
    const ambOf = (cfg: string[]) =>
      computeAudit(classes, confident9, applyOverrides({}, cfg))
        .items.filter((it) => it.flags & FLAG_BITS.ambiguous)
        .map((it) => it.imageId)
    // (c sorted: .1 .6 .7 .8 .85 .9 .9 .95 .99 → the 1/3 quantile is .7667: #6, #8 and #4.)
    expect(ambOf([])).toEqual([4, 6, 8])
    expect(ambOf(['ambiguous.mode=either'])).toEqual([4, 6, 8, 9])
    expect(amb(['ambiguous.mode=flat'])).toEqual([9])
    expect(amb(['ambiguous.mode=both'])).toEqual([9])
    expect(amb(['ambiguous.mode=confidence', 'ambiguous.confidencePercentile=0.2'])).toEqual([6, 9])
  })

  it('ranks by score, lowest (most suspicious) first', () => {
    const { items } = run()
    const ranked = items.filter((it) => it.rank != null).sort((a, b) => a.rank! - b.rank!)
    expect(ranked[0].imageId).toBe(3)
    expect(ranked.map((it) => it.score!)).toEqual([...ranked.map((it) => it.score!)].sort((a, b) => a - b))
    // #3 and #6 have the same divergence; #6's regions disagree, so its score is discounted less.
    const s3 = items.find((it) => it.imageId === 3)!.score!
    const s6 = items.find((it) => it.imageId === 6)!.score!
    expect(s3).toBeLessThan(s6)
    const js = jsDivergence([1, 0, 0], [0.1, 0.8, 0.1])
    expect(s3).toBeCloseTo(1 - 0.95 * js, 10)
    expect(s6).toBeCloseTo(1 - 0.55 * js, 10)
  })

  it('flags duplicates with different labels and face findings; unscored items carry no score', () => {
    const { items } = run()
    const by = new Map(items.map((it) => [it.imageId, it]))
    expect(flagNames(by.get(1)!.flags)).toContain('duplicate_conflict')
    expect(flagNames(by.get(4)!.flags)).toContain('duplicate_conflict')
    expect(by.get(7)!.flags & FLAG_BITS.duplicate_conflict).toBe(0)
    expect(by.get(10)!.flags).toBe(FLAG_BITS.no_face)
    expect(by.get(10)!.score).toBeNull()
    expect(by.get(10)!.rank).toBeNull()
    expect(by.get(10)!.explanation.text).toContain('the aligner found no face')
    expect(by.get(1)!.explanation.text).toContain('same image as #4 labelled surprise')
  })

  it('flags region conflicts weighted by the gate', () => {
    const eyesAnger = [0.1, 0.2, 0.7]
    const mouthSurprise = [0.1, 0.8, 0.1]
    const regions = [...eyesAnger, ...eyesAnger, ...mouthSurprise, ...mouthSurprise]
    const t = table()
    t[2].pred = { ...t[2].pred!, regionProbs: regions, gate: [0.25, 0.25, 0.25, 0.25] }
    // The gate trusts the eyes almost alone: 2·min(.9, .1)·min(.7, .8) = .14 < .3, no conflict.
    t[3].pred = { ...t[3].pred!, regionProbs: regions, gate: [0.45, 0.45, 0.05, 0.05] }
    const { items } = computeAudit(classes, t, resolveAuditConfig({}))
    const by = new Map(items.map((it) => [it.imageId, it]))
    expect(by.get(3)!.flags & FLAG_BITS.region_conflict).toBeTruthy()
    expect(by.get(3)!.signals!.regionConflict).toBeCloseTo(2 * 0.5 * 0.7, 10)
    expect(by.get(4)!.flags & FLAG_BITS.region_conflict).toBe(0)
    expect(by.get(4)!.signals!.regionConflict).toBeCloseTo(2 * 0.1 * 0.7, 10)
  })

  it('marks the informational disagreement flags', () => {
    const { items } = run()
    const trn = items.filter((it) => it.flags & FLAG_BITS.trn_disagrees).map((it) => it.imageId)
    expect(trn).toEqual([3, 6, 9])
    expect(flagMask(['trn_disagrees', 'oim_disagrees'])).toBe(192)
    expect(() => flagMask(['nope'])).toThrow(/unknown audit flag "nope"/)
  })

  it('runs the confident-learning baseline through the same engine', () => {
    const cfg = resolveAuditConfig({ method: 'cl' })
    const { items, summary } = computeAudit(classes, table(), cfg)
    const mis = items.filter((it) => it.flags & FLAG_BITS.likely_mislabeled).map((it) => it.imageId)
    expect(mis).toEqual([3, 6]) // CL knows no UEM: #6 is an issue too
    expect(summary.calibratedJoint).not.toBeNull()
    // Self-confidence ranking: score = p̂[y].
    expect(items.find((it) => it.imageId === 3)!.score).toBeCloseTo(0.1, 10)
    expect(items.find((it) => it.imageId === 3)!.explanation.text).toBe(
      'model: surprise 0.80, happiness 0.10, anger 0.10; labelled: happiness; suggested: surprise (strength 0.70)'
    )
    expect(items.some((it) => it.flags & FLAG_BITS.region_conflict)).toBe(false)
  })

  it('validates and overrides the config with clear errors', () => {
    expect(() => resolveAuditConfig({ score: { softWeight: 2 } })).toThrow(/score.softWeight/)
    expect(() => applyOverrides({}, ['nope=1'])).toThrow(/unknown setting nope/)
    expect(() => applyOverrides({}, ['ambiguous.mode=sometimes'])).toThrow(/ambiguous.mode/)
    expect(applyOverrides({}, ['mislabeled.thresholdOverrides.anger=0.4']).mislabeled.thresholdOverrides).toEqual({
      anger: 0.4
    })
    const cfg = resolveAuditConfig({})
    expect(cfg.ambiguous.confidencePercentile).toBeCloseTo(1 / 3, 12)
    expect(cfg.version).toBe(1)
  })
})
