/** Layout checks on a rendered page: nothing scrolls sideways, no control or heading cuts its text. */
import { expect } from 'vitest'
import type { Page } from 'playwright-core'

export async function expectReadableLayout(page: Page, what: string): Promise<void> {
  const overflow = await page.evaluate(() => document.documentElement.scrollWidth > window.innerWidth)
  expect(overflow, `${what} scrolls sideways`).toBe(false)
  // Controls and headings must show their whole text (file paths may ellipsize; they carry a title).
  const clipped = await page.evaluate(() =>
    [...document.querySelectorAll<HTMLElement>('button, h1, h2, h3, h4, th, kbd, label, .chip, .stat')]
      .filter((e) => e.offsetParent !== null && e.scrollWidth > e.clientWidth + 1)
      .map((e) => e.textContent?.trim())
  )
  expect(clipped, `${what}: clipped text`).toEqual([])
}
