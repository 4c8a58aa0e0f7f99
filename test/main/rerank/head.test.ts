import { describe, expect, it } from 'vitest'
import { fitHead, headFeatures, rerankHead } from '../../../src-main/core/rerank/head'
import { decisionLabel, type LabelDecision, type RerankItem } from '../../../src-main/core/rerank/learned'
import { simulateReview } from '../../../src-main/core/rerank/simulate'
import { Rng } from '../../../src-main/core/util/rng'

const FEAR = 2
const SURPRISE = 4

interface Fixture {
  list: RerankItem[]
  wrong: Set<number>
  truth: Map<number, number>
  /** Images labelled surprise whose true class is fear. */
  hidden: Set<number>
}

/** A distribution over C classes: `top` on class k, the rest spread at random over the others. */
function dist(rng: Rng, C: number, mass: Record<number, number>): number[] {
  const fixed = Object.values(mass).reduce((a, b) => a + b, 0)
  const rest = Array.from({ length: C }, (_, k) => (k in mass ? 0 : 0.2 + rng.next()))
  const rs = rest.reduce((a, b) => a + b, 0)
  return rest.map((v, k) => (k in mass ? mass[k] : ((1 - fixed) * v) / rs))
}

/** A class drawn from a distribution. */
function draw(rng: Rng, p: readonly number[]): number {
  let u = rng.next()
  let y = 0
  while (y < p.length - 1 && u >= p[y]) u -= p[y++]
  return y
}

/**
 * Audit items (static score = evidence of the given label, so the un-updated head orders exactly as the audit).
 * The evidence is calibrated (the true class and, independently, the given label drawn from it, so P(true | evidence,
 * given) = evidence) except for
 * `hidden` images labelled surprise whose truth is fear while the evidence still puts surprise first and fear
 * only second: the audit ranks them like clean images.
 */
function confusion(seed: number, N = 3000, C = 5, hiddenShare = 0.07): Fixture {
  const rng = new Rng(seed)
  const list: RerankItem[] = []
  const wrong = new Set<number>()
  const hidden = new Set<number>()
  const truth = new Map<number, number>()
  for (let i = 0; i < N; i++) {
    let y: number
    let given: number
    let ev: number[]
    if (rng.chance(hiddenShare)) {
      y = FEAR
      given = SURPRISE
      const g = 0.8 + 0.19 * rng.next()
      ev = dist(rng, C, { [SURPRISE]: g, [FEAR]: (1 - g) * (0.75 + 0.2 * rng.next()) })
      hidden.add(i)
    } else {
      ev = dist(rng, C, { [rng.int(C)]: 0.8 + 0.19 * rng.next() })
      y = draw(rng, ev)
      given = draw(rng, ev)
    }
    if (given !== y) wrong.add(i)
    truth.set(i, y)
    list.push({ imageId: i, score: ev[given], givenLabel: given, suggestedLabel: null, signals: { evidence: ev } })
  }
  list.sort((a, b) => a.score - b.score || a.imageId - b.imageId)
  return { list, wrong, truth, hidden }
}

const labelsOf = (f: Fixture, ids: readonly number[]): Map<number, LabelDecision> =>
  new Map(ids.map((id) => [id, { label: f.truth.get(id)! }]))

describe('head re-ranker (multinomial head over the evidence, fitted on true labels)', () => {
  it('maps decisions to true labels', () => {
    expect(decisionLabel('kept', 2, 2)).toEqual({ label: 2 })
    expect(decisionLabel('accepted', 1, 2)).toEqual({ label: 1 })
    expect(decisionLabel('relabeled', 3, 2)).toEqual({ label: 3 })
    expect(decisionLabel('excluded', null, 2)).toBeNull()
    expect(decisionLabel('ambiguous', 2, 2)).toBeNull()
    expect(decisionLabel('skipped', 2, 2)).toBeNull()
    expect(decisionLabel(null, 2, 2)).toBeNull()
  })

  it('without decisions is the audit: P_head = evidence (renormalised) and the static order', () => {
    const f = confusion(1)
    const r = rerankHead(f.list, new Map(), 5)
    expect(r.order).toEqual(f.list.map((it) => it.imageId))
    expect(r.decision.used).toBe('static')
    const h = fitHead(f.list, new Map(), 5)
    for (const it of f.list.slice(0, 50)) {
      const ev = it.signals!.evidence!
      const s = ev.reduce((a, b) => a + b, 0)
      const p = h.probs(headFeatures(it, 5).x)
      ev.forEach((v, k) => expect(p[k]).toBeCloseTo(v / s, 9))
    }
  })

  it('learns a confusion the evidence does not show and finds those labels sooner than the static order', () => {
    for (const seed of [1, 2]) {
      const f = confusion(seed)
      const top = f.list.slice(0, 900).map((it) => it.imageId)
      const r = rerankHead(f.list, labelsOf(f, top), 5)
      expect(r.decision.used, r.decision.reason).toBe('learned')
      // The remaining hidden confusions come earlier in the head's order than in the audit's.
      const staticOpen = f.list.map((it) => it.imageId).filter((id) => !top.includes(id))
      const meanPos = (order: number[]): number => {
        const pos = order.map((id, k) => (f.hidden.has(id) ? k : -1)).filter((k) => k >= 0)
        return pos.reduce((a, b) => a + b, 0) / pos.length
      }
      expect(meanPos(r.order)).toBeLessThan(meanPos(staticOpen) * 0.6)
      const at = [600, 1000, 1500]
      const st = simulateReview(f.list, f.wrong, 5, 'static', { at })
      const he = simulateReview(f.list, f.wrong, 5, 'head', { at, truth: f.truth })
      console.log(
        `seed ${seed}: wrong labels found after ${at.join(' / ')} reviews — static ${st.found.join(' / ')}, head ${he.found.join(' / ')} (${f.wrong.size} wrong, ${f.hidden.size} hidden, of ${f.list.length}; re-rank ${he.rerankMs!.toFixed(1)} ms, head used ${he.learnedUsed!.learned}/${he.learnedUsed!.of})`
      )
      expect(he.found[1]).toBeGreaterThan(st.found[1] * 1.1)
      expect(he.found[2]).toBeGreaterThan(st.found[2])
    }
  })

  it('decisions without a label (excluded, ambiguous, skipped) change nothing', () => {
    const f = confusion(3)
    const top = f.list.slice(0, 400).map((it) => it.imageId)
    const none = new Map<number, LabelDecision>(top.map((id) => [id, null]))
    const r = rerankHead(f.list, none, 5)
    expect(r.order).toEqual(f.list.slice(400).map((it) => it.imageId))
    expect(r.model.used).toEqual({ wrong: 0, right: 0 })
    expect(Array.from(fitHead(f.list, none, 5).theta)).toEqual(Array.from(fitHead(f.list, new Map(), 5).theta))
    // Mixed in with labelled decisions, they do not move the head either.
    const labelled = labelsOf(f, top.slice(0, 300))
    const mixed = new Map([...labelled, ...top.slice(300).map((id) => [id, null] as const)])
    expect(Array.from(fitHead(f.list, mixed, 5).theta)).toEqual(Array.from(fitHead(f.list, labelled, 5).theta))
  })

  it('keeps the static order when the decisions agree with the evidence', () => {
    for (const seed of [4, 5, 6, 7, 8]) {
      // No hidden confusion: the true labels are drawn from the evidence, the head has nothing to learn.
      const { list, truth } = confusion(seed, 3000, 5, 0)
      for (const n of [600, 900, 1200]) {
        const top = list.slice(0, n).map((it) => it.imageId)
        const r = rerankHead(list, new Map(top.map((id) => [id, { label: truth.get(id)! }])), 5)
        expect(r.decision.used, r.decision.reason).toBe('static')
        expect(r.decision.cv).not.toBeNull()
        expect(r.order).toEqual(list.slice(n).map((it) => it.imageId))
      }
    }
  })

  it('fits and re-ranks 35,887 items with 7 classes quickly', () => {
    const rng = new Rng(7)
    const C = 7
    const list: RerankItem[] = []
    for (let i = 0; i < 35887; i++) {
      const given = rng.int(C)
      const ev = dist(rng, C, { [given]: 0.2 + 0.75 * rng.next() })
      list.push({ imageId: i, score: ev[given], givenLabel: given, suggestedLabel: null, signals: { evidence: ev } })
    }
    list.sort((a, b) => a.score - b.score)
    const decided = new Map<number, LabelDecision>(
      list.slice(0, 2000).map((it, k) => [it.imageId, { label: k % 3 === 0 ? (it.givenLabel + 1) % C : it.givenLabel }])
    )
    const t0 = performance.now()
    const r = rerankHead(list, decided, C)
    const ms = performance.now() - t0
    console.log(`head re-rank, 35,887 items, C = 7, 2,000 decisions: ${ms.toFixed(0)} ms (${r.decision.used})`)
    expect(r.order).toHaveLength(35887 - 2000)
    expect(ms).toBeLessThan(5000)
  })
})
