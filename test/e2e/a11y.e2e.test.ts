/**
 * Every page in light and dark (prefers-color-scheme emulated in Chromium) on an audited synthetic
 * project: axe-core (0 serious or critical violations), text contrast and a visible focus ring on every
 * Tab stop (test/e2e/a11y.ts), screenshots at
 * 1280×800 and 1024×700 into SCREENS_DIR (default test-results/e2e/screens) to be looked at.
 */
import { afterAll, beforeAll, describe, expect, it } from 'vitest'
import { mkdirSync } from 'node:fs'
import { join } from 'node:path'
import type { Page } from 'playwright-core'
import { tempDir } from '../helpers/tmp'
import { REPO } from './serve'
import { axeSerious, contrastProblems, focusWithoutRing } from './a11y'
import { expectReadableLayout } from './layout'
import { nav as navTo, openSession, signIn, type Session } from './harness'

const SCREENS = process.env.SCREENS_DIR ?? join(REPO, 'test-results', 'e2e', 'screens')
const PAGES = ['projects', 'overview', 'train', 'review', 'history', 'export'] as const
const ASSERTED = new Set<string>(PAGES)

describe('contrast, focus and screenshots of every page, light and dark', () => {
  const tmp = tempDir('poi-e2e-a11y-')
  let s: Session | undefined
  let page: Page

  beforeAll(async () => {
    mkdirSync(SCREENS, { recursive: true })
    s = await openSession(tmp.dir, { n: 48, seed: 21, noiseRate: 0.3, audited: true })
    page = s.page
  })

  afterAll(async () => {
    await s?.close()
    tmp.cleanup()
  })

  const nav = async (p: string): Promise<void> => {
    await navTo(page, p)
    await page.waitForTimeout(400)
  }

  it('has enough contrast and a visible focus ring everywhere, in both themes', async () => {
    await signIn(page, s!.served)
    const found: Record<string, unknown> = {}
    const failures: string[] = []
    for (const scheme of ['light', 'dark'] as const) {
      await page.emulateMedia({ colorScheme: scheme })
      for (const p of PAGES) {
        await page.setViewportSize({ width: 1280, height: 800 })
        await nav(p)
        if (p === 'train') await page.waitForSelector('[data-testid=engine-name]', { timeout: 120_000 })
        await page.screenshot({ path: join(SCREENS, `${p}-${scheme}-1280.png`) })
        const contrast = await contrastProblems(page)
        const focus = await focusWithoutRing(page)
        await page.evaluate(() => (document.activeElement as HTMLElement | null)?.blur())
        const axe = await axeSerious(page)
        found[`${p} ${scheme}`] = { contrast, focus, axe }
        await page.setViewportSize({ width: 1024, height: 700 })
        await page.waitForTimeout(300)
        await page.screenshot({ path: join(SCREENS, `${p}-${scheme}-1024.png`) })
        if (ASSERTED.has(p)) {
          for (const c of contrast)
            failures.push(
              `${p} (${scheme}): contrast ${c.ratio} < ${c.need} for "${c.text}" (${c.color} on ${c.background})`
            )
          for (const f of focus) failures.push(`${p} (${scheme}): no visible focus ring on ${f}`)
          for (const v of axe) failures.push(`${p} (${scheme}): axe ${v}`)
          await expectReadableLayout(page, `${p} (${scheme}) at 1024×700`)
        }
      }
    }
    console.log(`a11y, review page: ${JSON.stringify({ light: found['review light'], dark: found['review dark'] })}`)
    expect(failures, failures.join('\n')).toEqual([])
    expect(s!.errors).toEqual([])
  })
})
