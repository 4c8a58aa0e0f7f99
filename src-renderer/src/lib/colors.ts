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
  return { bg: `rgb(${r}, ${g}, ${b})`, fg: t > 0.5 ? '#ffffff' : '#111827' }
}
