/**
 * Layout checks on a rendered page: nothing scrolls sideways, no control or heading cuts its text, and
 * no control sticks out of its card over its neighbour.
 */
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
  // A control wider than its card overlaps the next card (a select with a long option once pushed the
  // whole Train form over the Progress card). Content inside a scrolling or clipping box is exempt.
  const spill = await page.evaluate(() =>
    [
      ...document.querySelectorAll<HTMLElement>(
        '.card input, .card select, .card textarea, .card button, .card label, .card fieldset'
      )
    ]
      .filter((e) => {
        if (e.offsetParent === null) return false
        const card = e.closest<HTMLElement>('.card')!
        for (let a = e.parentElement; a && a !== card; a = a.parentElement)
          if (getComputedStyle(a).overflowX !== 'visible') return false
        return e.getBoundingClientRect().right > card.getBoundingClientRect().right + 1
      })
      .map(
        (e) =>
          `${e.tagName.toLowerCase()} ${(e.textContent ?? '').trim().slice(0, 40) || e.getAttribute('data-testid') || ''}`
      )
  )
  expect(spill, `${what}: controls sticking out of their card`).toEqual([])
}
