/** Small helpers shared by the SVG drawing modules (number formatting, colours). */
import type { Rgb } from './params'

/** Formats a coordinate with 2 decimals (keeps the SVG short and the output stable across platforms). */
export function f(v: number): string {
  const r = Math.round(v * 100) / 100
  return Object.is(r, -0) ? '0' : String(r)
}

export function rgb(c: Rgb): string {
  return `rgb(${c.map((v) => Math.max(0, Math.min(255, Math.round(v)))).join(',')})`
}

/** Multiplies a colour by k (k < 1 darkens, k > 1 lightens), clamped to 0..255. */
export function shade(c: Rgb, k: number): Rgb {
  return [c[0] * k, c[1] * k, c[2] * k].map((v) => Math.max(0, Math.min(255, v))) as Rgb
}

/** Linear mix of two colours, t in 0..1. */
export function mixRgb(a: Rgb, b: Rgb, t: number): Rgb {
  return [0, 1, 2].map((k) => a[k] + (b[k] - a[k]) * t) as Rgb
}

/** Colour of creases, lid lines and wrinkles on a given skin: a darker version, so they read on any tone. */
export function creaseColor(skin: Rgb): Rgb {
  return mixRgb(skin, [20, 10, 5], 0.55)
}

/** A stroked path element; `opacity` ≤ 0.005 draws nothing (so absent AUs add no element at all). */
export function stroke(d: string, color: Rgb, width: number, opacity = 1): string {
  if (opacity <= 0.005) return ''
  const op = opacity >= 0.995 ? '' : ` stroke-opacity="${f(opacity)}"`
  return `<path d="${d}" fill="none" stroke="${rgb(color)}" stroke-width="${f(width)}" stroke-linecap="round"${op}/>`
}

/** A quadratic Bézier control y so that the curve passes through yMid at t = 0.5 (endpoints y0, y1). */
export function ctrlThrough(yMid: number, y0: number, y1: number): number {
  return 2 * yMid - (y0 + y1) / 2
}
