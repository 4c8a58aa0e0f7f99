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
import type { RunComparisonView } from '../../src-main/core/api/contract'
import { tempDir } from '../helpers/tmp'
import { correctAndRetrain } from './after-run'
import { nav, openSession, signIn, type Session } from './harness'
import { REPO, type Served } from './serve'
import { expectReadableLayout } from './layout'
import { mkdirSync } from 'node:fs'

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
