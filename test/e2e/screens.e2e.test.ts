/**
 * Screenshots of every page and its main states, at 1280×800 and 1024×700, light and dark, into
 * SCREENS_DIR (default test-results/e2e/screens), to be opened and looked at (docs/screenshots.md).
 * One audited synthetic project with two runs (the oracle run and an "after" run, after-run.ts) and
 * curator decisions: Overview (top, flags, bottom), Review (the grid with the open image's detail, the
 * detail scrolled to its end, the key help, a selection in the grid and in the table), Train (runs,
 * and the comparison of the two runs), History, Export (form and result), Projects with the import
 * wizard, and an import's report. Each shot also runs the layout checks (layout.ts) and, at 1280×800,
 * the text contrast check (a11y.ts); all problems are listed together at the end.
 * File names: <state>-<width>-<light|dark>.png.
 */
import { afterAll, beforeAll, describe, expect, it } from 'vitest'
import { mkdirSync } from 'node:fs'
import { join } from 'node:path'
import type { Page } from 'playwright-core'
import { generateDataset } from '../../src-main/core/synth/index'
import { tempDir } from '../helpers/tmp'
import { contrastProblems } from './a11y'
import { correctAndRetrain } from './after-run'
import { nav, openSession, signIn, type Session } from './harness'
import { expectReadableLayout } from './layout'
import { REPO } from './serve'

const SCREENS = process.env.SCREENS_DIR ?? join(REPO, 'test-results', 'e2e', 'screens')
const SIZES = [
  { width: 1280, height: 800 },
  { width: 1024, height: 700 }
] as const
const CLASSES = ['neutral', 'happiness', 'surprise', 'sadness', 'anger', 'disgust', 'fear'] as const

describe('screenshots of every page, both sizes, light and dark', () => {
  const tmp = tempDir('poi-e2e-screens-')
  let s: Session | undefined
  let page: Page
  const problems: string[] = []

  beforeAll(async () => {
    mkdirSync(SCREENS, { recursive: true })
    s = await openSession(tmp.dir, {
      n: 70,
      seed: 11,
      classes: [...CLASSES],
      noiseRate: 0.3,
      audited: true,
      prepare: correctAndRetrain
    })
    page = s.page
    page.on('console', (m) => {
      if (m.type() === 'error') s!.errors.push(`console: ${m.text()}`)
    })
    // A second, small dataset for the import wizard's report.
    await generateDataset({ outDir: join(tmp.dir, 'more'), n: 14, size: 48, seed: 5, classes: [...CLASSES] })
  }, 240_000)

  afterAll(async () => {
    await s?.close()
    tmp.cleanup()
  })

  /** Scrolls the page's own scroller (or `sel`) to its end. */
  const scrollEnd =
    (sel = '.page') =>
    (): Promise<void> =>
      page.evaluate((q) => {
        const el = document.querySelector<HTMLElement>(q)
        if (el) el.scrollTop = el.scrollHeight
      }, sel)

  /** The state as it is now in both themes at both sizes; `arrange` runs after each resize. */
  const shoot = async (name: string, arrange?: () => Promise<void>): Promise<void> => {
    for (const scheme of ['light', 'dark'] as const) {
      await page.emulateMedia({ colorScheme: scheme })
      for (const size of SIZES) {
        await page.setViewportSize(size)
        await page.waitForTimeout(250)
        await arrange?.()
        await page.screenshot({ path: join(SCREENS, `${name}-${size.width}-${scheme}.png`) })
        const what = `${name} (${scheme}) at ${size.width}×${size.height}`
        try {
          await expectReadableLayout(page, what)
        } catch (e) {
          problems.push((e as Error).message.split('\n')[0] + ` [${what}]`)
        }
        if (size.width === 1280) {
          for (const c of await contrastProblems(page))
            problems.push(`${what}: contrast ${c.ratio} < ${c.need} for "${c.text}" (${c.color} on ${c.background})`)
        }
      }
    }
    await page.emulateMedia({ colorScheme: 'light' })
    await page.setViewportSize(SIZES[0])
  }

  it('shoots every page and state; layout and contrast hold in each', async () => {
    await signIn(page, s!.served)

    await nav(page, 'overview')
    for (const t of ['confusion', 'histogram', 'heatmap', 'flags-table'])
      await page.waitForSelector(`[data-testid=${t}]`)
    await shoot('overview')
    await shoot('overview-flags', () =>
      page.evaluate(() =>
        document.querySelector('[data-testid=flags-table]')?.closest('.card')?.scrollIntoView({ block: 'start' })
      )
    )
    await shoot('overview-end', scrollEnd())

    // Review: one decision by key, so the progress counter and the save state show.
    await nav(page, 'review')
    await page.waitForSelector('.cell.current')
    await page.waitForSelector('[data-testid=regions]')
    await page.waitForSelector('[data-testid=learning-queue]')
    await page.focus('[role=listbox]')
    await page.keyboard.press('q')
    await page.waitForFunction(() => document.querySelector('[data-testid=save-state]')?.textContent?.includes('Saved'))
    // The counter refreshes a moment after the write: the fixture's batch and this key are two decisions.
    await page.waitForFunction(() =>
      document.querySelector('[data-testid=review-progress]')?.textContent?.includes('2 decisions today')
    )
    await shoot('review')
    await shoot('review-detail-end', scrollEnd('[data-testid=detail-pane]'))
    await page.evaluate(() => document.querySelector('[data-testid=detail-pane]')?.scrollTo(0, 0))
    await page.focus('[role=listbox]')
    await page.keyboard.press('?')
    await page.waitForSelector('[data-testid=key-help]')
    await shoot('review-keyhelp')
    await page.keyboard.press('Escape')
    await page.waitForSelector('[data-testid=key-help]', { state: 'detached' })
    // A selection of two: the bulk bar over the grid, then the same in the table view.
    await page.focus('[role=listbox]')
    await page.keyboard.press('x')
    await page.keyboard.press('ArrowRight')
    await page.keyboard.press('x')
    await page.waitForFunction(() => document.querySelector('[data-testid=bulk-count]')?.textContent?.startsWith('2'))
    await shoot('review-selection')
    await page.keyboard.press('t')
    await page.waitForSelector('[data-testid=queue-table]')
    await shoot('review-table')
    await page.keyboard.press('t')
    await page.keyboard.press('Escape')

    // Train: the two runs, then their comparison.
    await nav(page, 'train')
    await page.waitForSelector('[data-testid=runs-table]')
    await page.waitForSelector('[data-testid=engine-name]', { timeout: 120_000 })
    await shoot('train')
    await page.click('[data-testid=pick-2]')
    await page.click('[data-testid=pick-1]')
    await page.click('[data-testid=compare-runs]')
    await page.waitForSelector('[data-testid=run-compare]')
    await shoot('train-compare', () =>
      page.evaluate(() => document.querySelector('[data-testid=run-compare]')?.scrollIntoView({ block: 'start' }))
    )

    await nav(page, 'history')
    await page.waitForSelector('[data-testid=history-table] tbody tr')
    await shoot('history')

    await nav(page, 'export')
    await shoot('export')
    await page.check('[data-testid=fmt-csv]')
    await page.check('[data-testid=scope-all]')
    await page.click('[data-testid=export-start]')
    await page.waitForSelector('[data-testid=export-done]', { timeout: 120_000 })
    await shoot('export-done')

    // Projects with the import wizard, then an import through it and its report.
    await nav(page, 'projects')
    await page.waitForSelector('[data-testid=import-wizard]')
    await shoot('projects')
    await page.selectOption('[data-testid=import-format]', 'csv')
    await page.fill('[data-testid=import-source]', join(tmp.dir, 'more', 'labels.csv'))
    await shoot('import-wizard', () =>
      page.evaluate(() => document.querySelector('[data-testid=import-wizard]')?.scrollIntoView({ block: 'start' }))
    )
    // The wizard's controls share one line at both sizes; a wrapped label must not push its field down.
    for (const size of SIZES) {
      await page.setViewportSize(size)
      const bottoms = await page.$$eval('[data-testid=import-wizard] .formgrid :is(input, select)', (els) =>
        els.map((e) => Math.round(e.getBoundingClientRect().bottom))
      )
      if (Math.max(...bottoms) - Math.min(...bottoms) > 2)
        problems.push(`import wizard at ${size.width}: controls not level: ${bottoms}`)
    }
    await page.setViewportSize(SIZES[0])
    await page.click('[data-testid=import-start]')
    await page.waitForSelector('[data-testid=import-report]', { timeout: 120_000 })
    await shoot('import-report', () =>
      page.evaluate(() => document.querySelector('[data-testid=import-report]')?.scrollIntoView({ block: 'start' }))
    )

    expect(problems, problems.join('\n')).toEqual([])
    expect(s!.errors, s!.errors.join('\n')).toEqual([])
  }, 300_000)
})
