/**
 * The Overview page in real Chromium (issue 14 item 9) on an audited synthetic project (oracle run +
 * the real audit engine): at 1280×800 and 1024×700 it has one scroll container and no blank space
 * below its last card, the flags table and the confusion matrix show every column without scrolling
 * sideways, class names stay on one line beside their swatches, and flag names are words.
 */
import { afterAll, beforeAll, describe, expect, it } from 'vitest'
import type { Page } from 'playwright-core'
import { tempDir } from '../helpers/tmp'
import { openSession, signIn, type Session } from './harness'

describe('Overview layout in Chromium', () => {
  const tmp = tempDir('poi-e2e-ov-')
  let s: Session | undefined
  let page: Page

  beforeAll(async () => {
    // All eight classes: the widest confusion matrix and flags table a project can have.
    s = await openSession(tmp.dir, { n: 64, seed: 13, noiseRate: 0.3, audited: true })
    page = s.page
  })

  afterAll(async () => {
    await s?.close()
    tmp.cleanup()
  })

  it('one scroll container, no blank space, whole tables at 1024 px, names on one line', async () => {
    await signIn(page, s!.served, '#/overview')
    await page.waitForSelector('[data-testid=flags-table]')
    await page.waitForSelector('[data-testid=confusion]')
    for (const size of [
      { width: 1280, height: 800 },
      { width: 1024, height: 700 }
    ]) {
      await page.setViewportSize(size)
      await page.waitForTimeout(300)
      const at = `at ${size.width}×${size.height}`
      const scrollers = await page.evaluate(() =>
        [document.scrollingElement!, ...document.querySelectorAll<HTMLElement>('main *')]
          .filter((e) => {
            const oy = e === document.scrollingElement ? 'auto' : getComputedStyle(e).overflowY
            return (oy === 'auto' || oy === 'scroll') && e.scrollHeight > e.clientHeight + 1
          })
          .map((e) => `${e.tagName.toLowerCase()}.${(e as HTMLElement).className}`)
      )
      expect(scrollers, `vertical scroll containers ${at}`).toHaveLength(1)
      // Blank space: scroll to the bottom; the last card must end near the bottom of the scroller.
      const blank = await page.evaluate(() => {
        const sc = document.querySelector<HTMLElement>('main .page')!
        sc.scrollTop = sc.scrollHeight
        const cards = [...sc.querySelectorAll<HTMLElement>('.card')]
        const lastBottom = Math.max(...cards.map((c) => c.getBoundingClientRect().bottom))
        return sc.getBoundingClientRect().bottom - lastBottom
      })
      expect(blank, `blank px below the last card ${at}`).toBeLessThan(60)
      // Whole tables: nothing inside them scrolls or clips sideways.
      const clipped = await page.evaluate(() =>
        ['[data-testid=flags-table]', '[data-testid=confusion]'].flatMap((sel) => {
          const t = document.querySelector<HTMLElement>(sel)!
          const out: string[] = []
          for (let a: HTMLElement | null = t.parentElement; a && !a.classList.contains('card'); a = a.parentElement) {
            if (a.scrollWidth > a.clientWidth + 1)
              out.push(`${sel} in ${a.className}: ${a.scrollWidth} > ${a.clientWidth}`)
          }
          const card = t.closest<HTMLElement>('.card')!
          if (t.getBoundingClientRect().right > card.getBoundingClientRect().right + 1)
            out.push(`${sel} sticks out of its card`)
          return out
        })
      )
      expect(clipped, at).toEqual([])
      // Class names on one line beside their swatch.
      const wrapped = await page.evaluate(() =>
        [...document.querySelectorAll<HTMLElement>('[data-testid=class-counts] tbody th')]
          .filter((th) => th.getBoundingClientRect().height > parseFloat(getComputedStyle(th).lineHeight) * 1.6 + 8)
          .map((th) => th.textContent)
      )
      expect(wrapped, `class names wrapping ${at}`).toEqual([])
    }
    const flagNames = await page.$$eval('[data-testid=flags-table] tbody th', (ths) =>
      ths.map((t) => t.textContent!.trim())
    )
    expect(flagNames.filter((n) => n.includes('_'))).toEqual([])
  })
})
