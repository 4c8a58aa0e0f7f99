/**
 * The Review page's detail pane in real Chromium (issue 14, defects 3 and 4): at 1280×800 and
 * 1024×700 the face (≥ 256 px on its short side at 1280×800), given vs suggested, the top 3 of the
 * distribution the suggestion is the argmax of, and the "why" are inside the pane's visible box
 * without scrolling; the suggestion is that distribution's top; the pane starts at the top on every
 * image; Space/End scroll it, R toggles the region outlines, F zooms the face; after a decision the
 * pane says the audit's flags and "why" describe the old label. Screenshots: bench-results/screens/.
 */
import { afterAll, beforeAll, describe, expect, it } from 'vitest'
import { mkdirSync } from 'node:fs'
import { join } from 'node:path'
import { REPO } from './serve'
import { reviewFixture, type ReviewFixture } from './review-fixture'

const SCREENS = join(REPO, 'bench-results', 'screens')

interface Box {
  top: number
  bottom: number
  left: number
  right: number
  width: number
  height: number
}

describe('Review detail pane layout and evidence in Chromium', () => {
  let fx: ReviewFixture

  beforeAll(async () => {
    mkdirSync(SCREENS, { recursive: true })
    fx = await reviewFixture()
  })
  afterAll(async () => {
    await fx?.close()
  })

  const box = (sel: string): Promise<Box | null> =>
    fx.page.evaluate((s) => {
      const e = document.querySelector(s)
      if (!e) return null
      const r = e.getBoundingClientRect()
      return { top: r.top, bottom: r.bottom, left: r.left, right: r.right, width: r.width, height: r.height }
    }, sel)
  const paneTop = (): Promise<number> => fx.page.$eval('[data-testid=detail-pane]', (e) => e.scrollTop)

  for (const vp of [
    { width: 1280, height: 800 },
    { width: 1024, height: 700 }
  ]) {
    it(`shows the face, given vs suggested, the top 3 and the why without scrolling at ${vp.width}×${vp.height}`, async () => {
      const { page } = fx
      await page.setViewportSize(vp)
      await fx.open()
      await page.waitForSelector('[data-testid=top3]')
      await page.waitForFunction(
        () => (document.querySelector('[data-testid=detail-image]') as HTMLImageElement | null)?.complete === true
      )
      await page.screenshot({ path: join(SCREENS, `review-${vp.width}x${vp.height}.png`) })
      const pane = (await box('[data-testid=detail-pane]'))!
      expect(await paneTop()).toBe(0)
      const inside = async (sel: string): Promise<void> => {
        const b = await box(sel)
        expect(b, `${sel} missing`).not.toBeNull()
        expect(b!.height, `${sel} has no height`).toBeGreaterThan(0)
        expect(b!.top, `${sel} top ${b!.top} above the pane ${pane.top}`).toBeGreaterThanOrEqual(pane.top - 1)
        expect(
          b!.bottom,
          `${sel} ends at ${b!.bottom}, below the pane's visible bottom ${pane.bottom} at ${vp.width}×${vp.height}`
        ).toBeLessThanOrEqual(pane.bottom + 1)
        expect(b!.right, `${sel} cut on the right`).toBeLessThanOrEqual(pane.right + 1)
      }
      for (const sel of [
        '[data-testid=face-box] [data-testid=detail-image]',
        '[data-testid=detail-given]',
        '[data-testid=detail-suggested]',
        '[data-testid=top3]',
        '[data-testid=explanation]'
      ])
        await inside(sel)
      const face = (await box('[data-testid=detail-image]'))!
      if (vp.width === 1280)
        expect(Math.min(face.width, face.height), 'face short side at 1280×800').toBeGreaterThanOrEqual(256)
      expect(face.bottom).toBeLessThanOrEqual(vp.height)
    })
  }

  it('the suggestion is the top of the shown evidence; weak ones are greyed; every ambiguous flag says why', async () => {
    const { page } = fx
    await page.setViewportSize({ width: 1280, height: 800 })
    await fx.open()
    const seen = { suggestions: 0, ambiguous: 0 }
    for (let i = 0; i < 40; i++) {
      await page.waitForFunction(() => {
        const cur = document.querySelector('.cell.current')?.getAttribute('data-image-id')
        return (
          !!cur &&
          document.querySelector('[data-testid=detail]')?.getAttribute('aria-label') === `Image ${cur}` &&
          !!document.querySelector('[data-testid=top3]')
        )
      })
      const r = await page.evaluate(() => ({
        id: document.querySelector('.cell.current')?.getAttribute('data-image-id'),
        suggested: document.querySelector('[data-testid=detail-suggested]')?.textContent?.trim().toLowerCase() ?? null,
        given: document.querySelector('[data-testid=detail-given]')?.textContent?.trim().toLowerCase() ?? null,
        top: document.querySelector('[data-testid=top3] .t3')?.getAttribute('data-class') ?? null,
        weak: !!document.querySelector('[data-testid=suggestion].weak'),
        strength: document.querySelector('[data-testid=suggestion] .strength')?.textContent ?? '',
        ambiguous: [...document.querySelectorAll('.audit-facts .flag')].some((f) => f.textContent === 'ambiguous'),
        ambiguousWhy: document.querySelector('[data-testid=ambiguous-why]')?.textContent ?? null
      }))
      if (r.suggested) {
        seen.suggestions++
        expect(r.suggested, `image ${r.id}: suggested ${r.suggested} but the evidence's top is ${r.top}`).toBe(r.top)
        const s = Number(/(\d+)\s*%/.exec(r.strength)?.[1])
        expect(r.weak, `image ${r.id}: strength ${s} %`).toBe(s < 25)
      } else expect(r.top, `image ${r.id}: no suggestion, so the evidence's top is the given label`).toBe(r.given)
      if (r.ambiguous) {
        seen.ambiguous++
        expect(r.ambiguousWhy, `image ${r.id} flagged ambiguous without saying why`).toMatch(/Ambiguous because/)
      }
      await page.keyboard.press('j')
    }
    expect(seen.suggestions).toBeGreaterThan(5)
    expect(seen.ambiguous).toBeGreaterThan(0)
  })

  it('keys scroll the pane, which starts at the top on every image; R toggles the regions; F zooms; a decision re-judges the image (no stale note)', async () => {
    const { page } = fx
    await page.setViewportSize({ width: 1024, height: 700 })
    await fx.open()
    await page.waitForSelector('[data-testid=top3]')
    const scrollable = await page.$eval('[data-testid=detail-pane]', (e) => e.scrollHeight > e.clientHeight + 10)
    expect(scrollable, 'the pane has more below the fold (regions), so scrolling is testable').toBe(true)
    await page.keyboard.press('End')
    await page.waitForFunction(() => document.querySelector('[data-testid=detail-pane]')!.scrollTop > 0)
    await page.keyboard.press('Home')
    await page.waitForFunction(() => document.querySelector('[data-testid=detail-pane]')!.scrollTop === 0)
    await page.keyboard.press(' ')
    await page.waitForFunction(() => document.querySelector('[data-testid=detail-pane]')!.scrollTop > 0)
    const first = await page.getAttribute('.cell.current', 'data-image-id')
    await page.keyboard.press('j')
    await page.waitForFunction(
      (id) => document.querySelector('.cell.current')?.getAttribute('data-image-id') !== id,
      first
    )
    expect(await paneTop(), 'the pane kept the previous image’s scroll position').toBe(0)

    expect(await page.$$eval('[data-testid=face] .region', (r) => r.length)).toBe(0)
    await page.keyboard.press('r')
    expect(await page.$$eval('[data-testid=face] .region', (r) => r.length)).toBe(4)
    await page.keyboard.press('r')
    expect(await page.$$eval('[data-testid=face] .region', (r) => r.length)).toBe(0)
    const small = (await box('[data-testid=detail-image]'))!.width
    await page.keyboard.press('f')
    expect((await box('[data-testid=detail-image]'))!.width).toBeGreaterThan(small * 1.3)
    await page.keyboard.press('f')

    // Accept a suggestion, go back: the pane shows the new label, judged anew (no stale note once re-judged).
    await fx.open()
    await page.waitForSelector('[data-testid=detail-suggested]')
    const suggested = (await page.textContent('[data-testid=detail-suggested]'))!.trim()
    await page.keyboard.press('Enter')
    await page.waitForFunction(() => document.querySelector('[data-testid=save-state]')?.textContent?.includes('Saved'))
    await page.keyboard.press('k')
    await page.waitForFunction(
      (s) => document.querySelector('[data-testid=explanation]')?.textContent?.includes(`labelled: ${s.toLowerCase()}`),
      suggested
    )
    expect(await page.$('[data-testid=stale-audit]')).toBeNull()
    expect((await page.textContent('[data-testid=detail-given]'))!.trim()).toBe(suggested)
    expect(fx.errors, fx.errors.join('\n')).toEqual([])
  })
})
