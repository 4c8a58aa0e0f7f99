/**
 * Accessibility checks run inside the page: axe-core's rules (serious and critical violations), and two
 * of our own that axe does not cover this way:
 * - text contrast per WCAG 2.x (4.5:1, 3:1 for large text) against the composed background;
 * - a visible focus indicator on every element Tab reaches.
 * Disabled controls are exempt (WCAG 1.4.3), as is text inside images and SVG charts' own labels.
 */
import { readFileSync } from 'node:fs'
import { createRequire } from 'node:module'
import type { Page } from 'playwright-core'

const AXE_SOURCE = readFileSync(createRequire(import.meta.url).resolve('axe-core/axe.min.js'), 'utf8')

/**
 * axe-core's serious and critical violations on the page as it is now, one line each (empty = passes).
 * axe is evaluated through the DevTools protocol, which the app's CSP does not govern, so no script
 * tag is added to the page.
 */
export async function axeSerious(page: Page): Promise<string[]> {
  await page.evaluate(AXE_SOURCE)
  return page.evaluate(async () => {
    const axe = (
      window as unknown as {
        axe: {
          run(
            ctx: Document,
            o: object
          ): Promise<{
            violations: { id: string; impact: string | null; help: string; nodes: { target: unknown[] }[] }[]
          }>
        }
      }
    ).axe
    const r = await axe.run(document, { resultTypes: ['violations'] })
    return r.violations
      .filter((v) => v.impact === 'serious' || v.impact === 'critical')
      .map(
        (v) =>
          `${v.id} (${v.impact}): ${v.help} — ${v.nodes.length} node(s), e.g. ${JSON.stringify(v.nodes[0]?.target ?? [])}`
      )
  })
}

export interface ContrastProblem {
  text: string
  ratio: number
  need: number
  color: string
  background: string
}

/** Every visible text with too little contrast on `page` (empty = passes). */
export function contrastProblems(page: Page): Promise<ContrastProblem[]> {
  return page.evaluate(() => {
    type RGBA = { r: number; g: number; b: number; a: number }
    const parse = (c: string): RGBA | null => {
      const m = /rgba?\(([^)]+)\)/.exec(c)
      if (!m) return null
      const p = m[1]
        .split(/[\s,/]+/)
        .filter(Boolean)
        .map(Number)
      return { r: p[0], g: p[1], b: p[2], a: p.length > 3 ? p[3] : 1 }
    }
    const over = (top: RGBA, under: RGBA): RGBA => ({
      r: top.r * top.a + under.r * (1 - top.a),
      g: top.g * top.a + under.g * (1 - top.a),
      b: top.b * top.a + under.b * (1 - top.a),
      a: 1
    })
    const lum = (c: RGBA): number => {
      const f = (v: number): number => {
        const s = v / 255
        return s <= 0.03928 ? s / 12.92 : ((s + 0.055) / 1.055) ** 2.4
      }
      return 0.2126 * f(c.r) + 0.7152 * f(c.g) + 0.0722 * f(c.b)
    }
    /** The background behind `el`, composed from its ancestors; null over an image or gradient. */
    const background = (el: Element): RGBA | null => {
      const layers: RGBA[] = []
      for (let e: Element | null = el; e; e = e.parentElement) {
        const cs = getComputedStyle(e)
        if (cs.backgroundImage !== 'none') return null
        const c = parse(cs.backgroundColor)
        if (c && c.a > 0) {
          layers.push(c)
          if (c.a >= 0.999) break
        }
      }
      let out: RGBA = { r: 255, g: 255, b: 255, a: 1 }
      for (const l of layers.reverse()) out = over(l, out)
      return out
    }
    const problems: ContrastProblem[] = []
    for (const el of document.querySelectorAll<HTMLElement>('body *')) {
      if (el.closest('svg, img, [aria-hidden="true"], :disabled, option')) continue
      const own = [...el.childNodes].some((n) => n.nodeType === Node.TEXT_NODE && n.textContent!.trim())
      if (!own) continue
      const rect = el.getBoundingClientRect()
      if (rect.width <= 1 || rect.height <= 1) continue
      const cs = getComputedStyle(el)
      if (cs.visibility === 'hidden' || cs.display === 'none' || Number(cs.opacity) === 0) continue
      const bg = background(el)
      const fgRaw = parse(cs.color)
      if (!bg || !fgRaw) continue
      const fg = over(fgRaw, bg)
      const [a, b] = [lum(fg), lum(bg)].sort((x, y) => y - x)
      const ratio = (a + 0.05) / (b + 0.05)
      const size = parseFloat(cs.fontSize)
      const large = size >= 24 || (size >= 18.66 && Number(cs.fontWeight) >= 700)
      const need = large ? 3 : 4.5
      if (ratio + 0.005 < need) {
        problems.push({
          text: el.textContent!.trim().slice(0, 50),
          ratio: Math.round(ratio * 100) / 100,
          need,
          color: cs.color,
          background: `rgb(${Math.round(bg.r)}, ${Math.round(bg.g)}, ${Math.round(bg.b)})`
        })
      }
    }
    return problems
  })
}

/**
 * Tabs through the page (up to `max` stops) and returns the elements that got focus without a visible
 * indicator (an outline of at least 2 px, or a box shadow).
 */
export async function focusWithoutRing(page: Page, max = 80): Promise<string[]> {
  await page.evaluate(() => {
    ;(document.activeElement as HTMLElement | null)?.blur()
    window.scrollTo(0, 0)
  })
  const seen = new Set<string>()
  const bad: string[] = []
  for (let i = 0; i < max; i++) {
    await page.keyboard.press('Tab')
    const r = await page.evaluate(() => {
      const e = document.activeElement as HTMLElement | null
      if (!e || e === document.body) return null
      const cs = getComputedStyle(e)
      const ring = (cs.outlineStyle !== 'none' && parseFloat(cs.outlineWidth) >= 2) || cs.boxShadow !== 'none'
      const path: string[] = []
      for (let x: Element | null = e; x && x !== document.body; x = x.parentElement)
        path.unshift(
          `${x.tagName.toLowerCase()}${x.id ? '#' + x.id : ''}:nth-child(${[...(x.parentElement?.children ?? [])].indexOf(x) + 1})`
        )
      return {
        key: path.join('>'),
        name: `${e.tagName.toLowerCase()} "${(e.getAttribute('aria-label') ?? e.textContent ?? '').trim().slice(0, 40)}"`,
        ring
      }
    })
    if (!r) continue
    if (seen.has(r.key)) break // wrapped around
    seen.add(r.key)
    if (!r.ring) bad.push(r.name)
  }
  return bad
}
