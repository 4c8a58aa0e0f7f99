/**
 * Before/after of two runs on the Train page in real Chromium (issue 17 item 2): a tiny synthetic
 * project with the oracle run as "before" (labels as imported, some flipped), curator decisions that
 * fix some flips and exclude an image (store API), and an "after" run whose predictions follow the
 * corrected labels (written through the store API like the oracle run). The user ticks both runs and
 * compares; every figure on screen must equal what `runs.compare` answers. Also: "Retrain with my
 * corrections" reaches the engine with the run it starts from.
 */
import { afterAll, beforeAll, describe, expect, it } from 'vitest'
import { join } from 'node:path'
import type { Page } from 'playwright-core'
import { openProject } from '../../src-main/core/project'
import { applyChanges, type LabelChange } from '../../src-main/core/store/labels'
import { getClasses } from '../../src-main/core/store/meta'
import { createRun, finishRun, writePredictions } from '../../src-main/core/store/runs'
import { loadGroundTruth } from '../../src-main/core/synth/index'
import type { RunComparisonView } from '../../src-main/core/api/contract'
import { tempDir } from '../helpers/tmp'
import { nav, openSession, signIn, type Session } from './harness'
import { REPO, type Served } from './serve'
import { expectReadableLayout } from './layout'
import { mkdirSync } from 'node:fs'

/**
 * Decisions fixing the first flipped labels, then the "after" run (predictions = the corrected labels, a few
 * left wrong).
 */
async function correctAndRetrain(project: string, faces: string): Promise<void> {
  const gt = await loadGroundTruth(join(faces, 'ground_truth.json'))
  const byPath = new Map(gt.images.map((g) => [g.path, g]))
  const p = openProject(project)
  try {
    const classes = getClasses(p.db)
    const rows = p.db.prepare('SELECT id, rel_path AS path FROM images ORDER BY id').all() as {
      id: number
      path: string
    }[]
    const flipped = rows.filter((r) => byPath.get(r.path)?.flipped)
    const fix = flipped.slice(0, 4)
    const changes: LabelChange[] = [
      ...fix.map((r) => ({
        imageId: r.id,
        label: classes.indexOf(byPath.get(r.path)!.trueClass),
        state: 'labeled' as const,
        softLabel: null,
        review: 'relabeled' as const
      })),
      { imageId: flipped[4].id, state: 'excluded', review: 'excluded' }
    ]
    applyChanges(p.db, changes, { actor: 'curator', source: 'curator' })
    const asOf = (p.db.prepare('SELECT max(id) AS id FROM label_history').get() as { id: number }).id
    const C = classes.length
    const runId = createRun(p.db, {
      kind: 'poi',
      name: 'after (test fixture)',
      config: { fixture: 'after', labelsAsOf: { historyId: asOf }, parentRunId: 1 },
      classes,
      backend: 'none'
    })
    const labels = new Map(
      (
        p.db.prepare('SELECT image_id AS id, current_label AS label FROM annotations').all() as {
          id: number
          label: number | null
        }[]
      ).map((r) => [r.id, r.label])
    )
    writePredictions(
      p.db,
      runId,
      rows.map((r, i) => {
        // Mostly the current label; every seventh image leans to the next class (so some suggestions change).
        const y = labels.get(r.id) ?? classes.indexOf(byPath.get(r.path)!.trueClass)
        const k = i % 7 === 3 ? (y + 1) % C : y
        const probs = Array.from({ length: C }, (_, j) => (j === k ? 0.7 : 0.3 / (C - 1)))
        return {
          imageId: r.id,
          fold: null,
          trnProbs: probs,
          oimSoft: null,
          oimSoftT1: null,
          regionProbs: null,
          gate: null,
          uemUncertainty: null,
          uemConfidence: null,
          auProb: null,
          auImportance: null
        }
      })
    )
    finishRun(p.db, runId, { status: 'done', metrics: { fixture: true } })
  } finally {
    p.close()
  }
}

describe('comparing two runs on the Train page', () => {
  const tmp = tempDir('poi-e2e-compare-')
  let s: Session | undefined
  let page: Page
  let served: Served

  beforeAll(async () => {
    s = await openSession(tmp.dir, {
      n: 60,
      seed: 21,
      classes: ['neutral', 'happiness', 'surprise'],
      noiseRate: 0.3,
      audited: true,
      prepare: correctAndRetrain
    })
    ;({ page, served } = s)
  })

  afterAll(async () => {
    await s?.close()
    tmp.cleanup()
  })

  const api = async <T>(method: string, args: unknown): Promise<T> => {
    const r = await page.request.post(`${served.url}/api/${method}`, {
      headers: { 'content-type': 'application/json' },
      data: JSON.stringify(args)
    })
    const j = (await r.json()) as { ok: boolean; value?: T; message?: string }
    if (!j.ok) throw new Error(`${method}: ${j.message}`)
    return j.value as T
  }
  const text = async (sel: string): Promise<string> => ((await page.textContent(sel)) ?? '').replace(/\s+/g, ' ').trim()
  const pct1 = (v: number | null): string => (v == null ? '—' : `${(v * 100).toFixed(1)}%`)

  it('shows the comparison of the two ticked runs with the numbers runs.compare answers', async () => {
    await signIn(page, served, '#/train')
    await nav(page, 'train')
    await page.waitForSelector('[data-testid=runs-table]')
    expect(await text('[data-testid=run-parent-2]')).toBe('retrains run 1')
    // "Retrain with my corrections" starts from the newest finished run; these fixture runs carry no
    // training configuration, so the engine refuses, naming the run (train.start with fromRun).
    expect(await text('[data-testid=retrain]')).toBe('Retrain with my corrections (from run 2)')
    await page.click('[data-testid=retrain]')
    await page.waitForSelector('[data-testid=train-error]')
    expect(await text('[data-testid=train-error]')).toMatch(/run 2 has no training configuration/)

    expect(await page.isDisabled('[data-testid=compare-runs]')).toBe(true)
    await page.click('[data-testid=pick-2]')
    await page.click('[data-testid=pick-1]')
    expect(await text('[data-testid=compare-runs]')).toBe('Compare runs 1 and 2')
    await page.click('[data-testid=compare-runs]')
    await page.waitForSelector('[data-testid=run-compare]')

    const c = await api<RunComparisonView>('runs.compare', { a: 1, b: 2 })
    expect(c.flags.resolved, 'the fixture resolves flags').toBeGreaterThan(0)
    for (const r of c.accuracy) {
      expect(await text(`[data-testid=compare-acc-${r.set}-a]`)).toBe(pct1(r.a))
      expect(await text(`[data-testid=compare-acc-${r.set}-b]`)).toBe(pct1(r.b))
    }
    expect(await text('[data-testid=compare-flags-a]')).toBe(String(c.flags.a))
    expect(await text('[data-testid=compare-flags-b]')).toBe(String(c.flags.b))
    expect(await text('[data-testid=compare-resolved]')).toBe(String(c.flags.resolved))
    expect(await text('[data-testid=compare-new]')).toBe(String(c.flags.introduced))
    expect(await text('[data-testid=compare-changed]')).toBe(String(c.suggestionChanged))
    expect(await text('[data-testid=compare-labels]')).toBe(String(c.labelsChanged))
    for (const [k, r] of c.perClass.entries()) {
      const cells = await page.$$eval(`[data-testid=compare-class-${k}] td`, (tds) =>
        tds.map((td) => td.textContent?.trim() ?? '')
      )
      const n = c.noise[k]
      expect(cells).toEqual([
        String(r.support),
        pct1(r.a.precision),
        pct1(r.b.precision),
        pct1(r.a.recall),
        pct1(r.b.recall),
        pct1(n.a.rate),
        pct1(n.b.rate)
      ])
    }
    mkdirSync(join(REPO, 'test-results', 'e2e'), { recursive: true })
    await page
      .locator('[data-testid=run-compare]')
      .screenshot({ path: join(REPO, 'test-results', 'e2e', 'train-compare-1280.png') })
    await expectReadableLayout(page, 'run comparison at 1280×800')
    expect(s!.errors).toEqual([])
  })
})
