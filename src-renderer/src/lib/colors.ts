/**
 * Colours for classes and scales. Class colours are a qualitative palette dark enough for white text
 * and distinct for the common colour-vision deficiencies (Okabe–Ito, darkened where needed).
 */
const CLASS_COLORS: Record<string, string> = {
  neutral: '#5b6470',
  happiness: '#b35900',
  surprise: '#0072b2',
  sadness: '#4b3f9e',
  anger: '#b8001f',
  disgust: '#2e7d32',
  fear: '#8e3b8e',
  contempt: '#6d5a00'
}

export function classColor(name: string | undefined): string {
  return (name && CLASS_COLORS[name]) || '#374151'
}

/** A sequential white → blue scale for heat maps; returns background and a readable text colour. */
export function heat(v: number): { bg: string; fg: string } {
  const t = Number.isFinite(v) ? Math.min(1, Math.max(0, v)) : 0
  // Interpolate #ffffff → #1e3a8a in sRGB; good enough for ordinal reading.
  const r = Math.round(255 + (30 - 255) * t)
  const g = Math.round(255 + (58 - 255) * t)
  const b = Math.round(255 + (138 - 255) * t)
  // The text colour with the higher contrast (a fixed switch at t = 0.5 left white text at 3:1 on mid blues).
  return {
    bg: `rgb(${r}, ${g}, ${b})`,
    fg: contrast(r, g, b, 255, 255, 255) >= contrast(r, g, b, 0, 0, 0) ? '#ffffff' : '#000000'
  }
}

/** WCAG relative luminance of an sRGB colour (0..255 channels). */
function luminance(r: number, g: number, b: number): number {
  const f = (v: number): number => {
    const s = v / 255
    return s <= 0.03928 ? s / 12.92 : ((s + 0.055) / 1.055) ** 2.4
  }
  return 0.2126 * f(r) + 0.7152 * f(g) + 0.0722 * f(b)
}

/** WCAG contrast ratio of two sRGB colours. */
function contrast(r1: number, g1: number, b1: number, r2: number, g2: number, b2: number): number {
  const [hi, lo] = [luminance(r1, g1, b1), luminance(r2, g2, b2)].sort((x, y) => y - x)
  return (hi + 0.05) / (lo + 0.05)
}
