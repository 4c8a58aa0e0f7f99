/**
 * Lower face: lips, mouth opening, nasolabial folds, dimples and chin — everything the mouth AUs
 * (10, 12, 14, 15, 17, 24, 26) move. Every element that depends on a mouth AU stays below local
 * y = LOWER_FACE_MIN_Y, so mouth AUs never change the upper face.
 */
import { creaseColor, ctrlThrough, f, mixRgb, rgb, shade, stroke } from './draw-util'
import type { AuIntensities, FaceParams } from './params'

/** Highest local y (face units) reached by anything a mouth AU draws or moves. */
export const LOWER_FACE_MIN_Y = 13
/** Local y of the chin at rest (mouth closed). */
export const CHIN_Y = 38

/** Mouth opening at the centre, face units: AU26 drops the jaw, AU10 bares the upper teeth a little. */
export function mouthOpening(a: AuIntensities): number {
  return 11 * a[26] + 1.3 * a[10]
}

/** Local y of the chin; the jaw follows the mouth opening. */
export function chinY(a: AuIntensities): number {
  return CHIN_Y + 0.55 * mouthOpening(a)
}

interface Pt {
  x: number
  y: number
}

export function drawLowerFace(p: FaceParams): string {
  const id = p.identity
  const a = p.aus
  const c = creaseColor(id.skin)
  const mw = id.mouthWidth
  // AU14 is mostly one-sided (a unilateral dimpler reads as contempt); the other side gets a trace.
  const a14 = (s: number): number => a[14] * (s === p.au14Side ? 1 : 0.15)
  const corner = (s: -1 | 1): Pt => ({
    x: s * (mw * (1 - 0.2 * a[24]) + 2.5 * a[12] - 1.6 * a14(s) - 0.8 * a[17] - 0.8 * a[26]),
    y: id.mouthY - 5.5 * a[12] + 4.6 * a[15] - 3.2 * a14(s) + 0.6 * a[17] - 0.5 * a[10]
  })
  const cL = corner(-1)
  const cR = corner(1)
  const cAvg = (cL.y + cR.y) / 2
  const open = mouthOpening(a)
  const partU = id.mouthY - 1.6 * a[10] - 0.9 * a[17]
  const partL = partU + open
  const tu = id.lipUpper * (1 - 0.85 * a[24]) + 0.5 * a[10]
  const tl = id.lipLower * (1 - 0.85 * a[24]) + 1.0 * a[17]
  const ctrlPU = ctrlThrough(partU, cL.y, cR.y)
  const ctrlPL = ctrlThrough(partL, cL.y, cR.y)
  const bottom = partL + tl
  const ctrlBottom = ctrlThrough(bottom, cL.y, cR.y)
  // Upper lip outline: the parting parabola lifted by the lip thickness, with a cupid's bow dip.
  const partAt = (x: number): number => partU + (cAvg - partU) * (x / mw) ** 2
  const peakY = (x: number): number => partAt(x) - tu * 1.5 - 0.7 * a[10]
  const dipY = partU - tu * 0.85
  const w55 = mw * 0.55
  const upperTop = `M${f(cL.x)} ${f(cL.y)}Q${f(-w55)} ${f(peakY(-w55))} 0 ${f(dipY)}Q${f(w55)} ${f(peakY(w55))} ${f(cR.x)} ${f(cR.y)}`
  const upperLip = `${upperTop}Q0 ${f(ctrlPU)} ${f(cL.x)} ${f(cL.y)}Z`
  const lowerLip = `M${f(cL.x)} ${f(cL.y)}Q0 ${f(ctrlPL)} ${f(cR.x)} ${f(cR.y)}Q0 ${f(ctrlBottom)} ${f(cL.x)} ${f(cL.y)}Z`
  const lipColor = mixRgb(id.lip, shade(id.lip, 0.8), 0.5 * a[24])

  let out = ''
  // Nasolabial folds: faint at rest, deepened by AU12 (smile) and AU10 (upper lip raiser).
  for (const s of [-1, 1] as const) {
    const k = s < 0 ? cL : cR
    const o = Math.min(1, 0.14 + 0.6 * a[12] + 0.5 * a[10] + 0.55 * a14(s))
    const d = `M${f(s * (id.noseWidth + 1.8))} ${LOWER_FACE_MIN_Y + 0.5}Q${f(s * (mw + 3.6))} ${f(id.mouthY - 4)} ${f(k.x + s * 3.2)} ${f(k.y + 4.5)}`
    out += stroke(d, c, 0.6 + 0.35 * a[12], o)
  }
  if (open > 0.15) {
    const interior = `M${f(cL.x)} ${f(cL.y)}Q0 ${f(ctrlPU)} ${f(cR.x)} ${f(cR.y)}Q0 ${f(ctrlPL)} ${f(cL.x)} ${f(cL.y)}Z`
    out += `<clipPath id="mouth"><path d="${interior}"/></clipPath>`
    out += `<path d="${interior}" fill="rgb(60,18,20)"/>`
    out += `<g clip-path="url(#mouth)"><rect x="${f(-mw * 0.7)}" y="${f(partU - 2)}" width="${f(mw * 1.4)}" height="${f(2 + Math.min(2.4, open * 0.5))}" fill="rgb(236,232,222)"/>`
    if (open > 4)
      out += `<rect x="${f(-mw * 0.55)}" y="${f(partL - 1.6)}" width="${f(mw * 1.1)}" height="3" fill="rgb(220,214,204)"/>`
    out += '</g>'
  }
  out += `<path d="${upperLip}" fill="${rgb(shade(lipColor, 0.92))}"/>`
  out += `<path d="${lowerLip}" fill="${rgb(lipColor)}"/>`
  // Lip contact line, faded out as the mouth opens (the dark interior takes over).
  out += stroke(
    `M${f(cL.x)} ${f(cL.y)}Q0 ${f(ctrlPU)} ${f(cR.x)} ${f(cR.y)}`,
    shade(lipColor, 0.45),
    0.6 + 0.6 * a[24],
    Math.max(0, 1 - open / 1.5)
  )
  for (const s of [-1, 1] as const) {
    const k = s < 0 ? cL : cR
    out += `<circle cx="${f(k.x)}" cy="${f(k.y)}" r="0.55" fill="${rgb(shade(lipColor, 0.5))}" fill-opacity="0.7"/>`
    // AU15: lines pulled down from the corners; AU14: the dimple beside a tightened corner.
    out += stroke(
      `M${f(k.x + s * 0.6)} ${f(k.y + 0.8)}Q${f(k.x + s * 1.7)} ${f(k.y + 3.6)} ${f(k.x + s * 1.2)} ${f(k.y + 6.5)}`,
      c,
      0.6,
      0.85 * a[15]
    )
    out += stroke(
      `M${f(k.x + s * 1.2)} ${f(k.y - 2.6)}Q${f(k.x + s * 3)} ${f(k.y)} ${f(k.x + s * 1.2)} ${f(k.y + 2.6)}`,
      c,
      0.9,
      a14(s)
    )
  }
  // AU24: pressed lips bulge the skin just above and below them.
  out += stroke(
    `M${f(-mw * 0.45)} ${f(dipY - 1.6)}Q0 ${f(dipY - 2.3)} ${f(mw * 0.45)} ${f(dipY - 1.6)}`,
    c,
    0.6,
    0.85 * a[24]
  )
  out += stroke(
    `M${f(-mw * 0.45)} ${f(bottom + 1.5)}Q0 ${f(bottom + 2.3)} ${f(mw * 0.45)} ${f(bottom + 1.5)}`,
    c,
    0.6,
    0.85 * a[24]
  )
  // AU17: chin boss pushed up — deepened crease under the lower lip and a dimpled chin.
  const cy = chinY(a)
  out += stroke(
    `M${f(-mw * 0.6)} ${f(bottom + 2.8)}Q0 ${f(bottom + 1.3)} ${f(mw * 0.6)} ${f(bottom + 2.8)}`,
    c,
    0.6,
    0.85 * a[17]
  )
  if (a[17] > 0.005) {
    out += `<ellipse cx="0" cy="${f(cy - 5)}" rx="5.5" ry="3" fill="${rgb(shade(id.skin, 1.1))}" fill-opacity="${f(0.5 * a[17])}"/>`
    for (const [dx, dy] of [
      [-2.2, -5.5],
      [1.8, -6],
      [0, -4],
      [-1, -7],
      [2.5, -4.5]
    ]) {
      out += `<circle cx="${f(dx)}" cy="${f(cy + dy)}" r="0.55" fill="${rgb(c)}" fill-opacity="${f(0.55 * a[17])}"/>`
    }
  }
  return out
}
