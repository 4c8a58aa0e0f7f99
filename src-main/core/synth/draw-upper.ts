/**
 * Upper face: brows, forehead, eyes, cheeks and nose bridge — everything the eye AUs (1, 2, 4, 5, 6, 9)
 * move. Every element that depends on an eye AU stays above local y = UPPER_FACE_MAX_Y, so eye AUs never
 * change the lower face (the POI eye/mouth branches see separate corners of the face).
 */
import { creaseColor, ctrlThrough, f, mixRgb, rgb, shade, stroke } from './draw-util'
import type { FaceParams } from './params'

/** Lowest local y (face units) reached by anything an eye AU draws or moves. */
export const UPPER_FACE_MAX_Y = 6
/** Local y of the eye centres. */
export const EYE_Y = -8

function brow(p: FaceParams, s: -1 | 1): string {
  const id = p.identity
  const a = p.aus
  const by = EYE_Y - id.browGap
  // Inner end moves with AU1 (up), AU4 (down and towards the midline) and AU9 (down a little).
  const xi = s * (id.eyeSpacing - id.eyeWidth * 0.85 - 1.8 * a[4] - 0.6 * a[9])
  const yi = by + 0.6 - 6.5 * a[1] + 4.5 * a[4] + 1.8 * a[9]
  const xo = s * (id.eyeSpacing + id.eyeWidth * 1.25)
  const yo = by + 1.2 - 7 * a[2] + 1.5 * a[4] - 0.8 * a[1]
  const yMid = by - id.browArch - 2.6 * a[1] - 4.4 * a[2] + 2.6 * a[4] + 0.9 * a[9]
  const xm = s * (id.eyeSpacing + 0.6 - 1.2 * a[4])
  const cy = ctrlThrough(yMid, yi, yo)
  const width = id.browThickness * (1 + 0.25 * a[4])
  const d = `M${f(xi)} ${f(yi)}Q${f(xm)} ${f(cy)} ${f(xo)} ${f(yo)}`
  // A second, thinner stroke along the inner half gives the brow a tapered, hair-like end.
  const inner = `M${f(xi)} ${f(yi + width * 0.15)}Q${f((xi + xm) / 2)} ${f((yi + cy) / 2)} ${f(xm)} ${f(yMid + width * 0.1)}`
  return stroke(d, id.hairColor, width) + stroke(inner, id.hairColor, width * 1.25, 0.9)
}

function forehead(p: FaceParams): string {
  const a = p.aus
  const id = p.identity
  const by = EYE_Y - id.browGap
  const c = creaseColor(id.skin)
  let out = ''
  // AU1 wrinkles are short and central, AU2's span the forehead: the two read differently.
  for (const k of [0, 1]) {
    const y = by - 7 - 3.3 * k
    out += stroke(`M-7 ${f(y + 0.8)}Q0 ${f(y - 1.4)} 7 ${f(y + 0.8)}`, c, 0.6, 0.85 * a[1])
    out += stroke(`M-19 ${f(y + 1.8)}Q0 ${f(y - 1.6)} 19 ${f(y + 1.8)}`, c, 0.55, 0.7 * a[2])
  }
  // AU4 frown lines between the brows; AU9 horizontal wrinkles and "bunny lines" on the nose bridge.
  for (const s of [-1, 1]) {
    out += stroke(
      `M${f(s * 1.3)} ${f(by + 0.8)}Q${f(s * 2.1)} ${f(by + 3.6)} ${f(s * 1.6)} ${f(by + 6.2)}`,
      c,
      0.7,
      a[4]
    )
    out += stroke(`M${f(s * 2.4)} -4.5Q${f(s * 4.8)} -2 ${f(s * 5.4)} 1.5`, c, 0.6, 0.8 * a[9])
  }
  for (const y of [-3.4, -1.4, 0.6]) out += stroke(`M-2.8 ${f(y)}Q0 ${f(y - 0.9)} 2.8 ${f(y)}`, c, 0.55, 0.9 * a[9])
  return out
}

function eye(p: FaceParams, s: -1 | 1): string {
  const id = p.identity
  const a = p.aus
  const cx = s * id.eyeSpacing
  const ew = id.eyeWidth
  const eh = id.eyeOpen
  const yUp = EYE_Y - eh * (1 + 1.0 * a[5] - 0.35 * a[4] - 0.3 * a[9] - 0.15 * a[6])
  const yLo = EYE_Y + eh * (0.72 - 0.6 * a[6] - 0.15 * a[9] + 0.3 * a[5])
  const xi = cx - s * ew
  const xo = cx + s * ew
  const yi = EYE_Y + 0.25
  const yo = EYE_Y - 0.35
  const cu = ctrlThrough(yUp, yi, yo)
  const cl = ctrlThrough(yLo, yi, yo)
  const side = s < 0 ? 'L' : 'R'
  const sclera = `M${f(xi)} ${f(yi)}Q${f(cx)} ${f(cu)} ${f(xo)} ${f(yo)}Q${f(cx)} ${f(cl)} ${f(xi)} ${f(yi)}Z`
  const dark = mixRgb(id.hairColor, [10, 8, 8], 0.6)
  const c = creaseColor(id.skin)
  const r = eh * 1.02
  const gaze = s * 0.25
  let out = `<clipPath id="eye${side}"><path d="${sclera}"/></clipPath>`
  out += `<path d="${sclera}" fill="rgb(238,234,228)"/>`
  out += `<g clip-path="url(#eye${side})"><circle cx="${f(cx + gaze)}" cy="${f(EYE_Y + 0.15)}" r="${f(r)}" fill="${rgb(id.iris)}"/>`
  out += `<circle cx="${f(cx + gaze)}" cy="${f(EYE_Y + 0.15)}" r="${f(r * 0.48)}" fill="rgb(12,10,10)"/>`
  out += `<circle cx="${f(cx + gaze - 0.5)}" cy="${f(EYE_Y - 0.45)}" r="${f(r * 0.2)}" fill="rgb(250,250,250)"/></g>`
  // Lid crease (static fold above the eye), upper lid with lashes, lower lid.
  out += stroke(
    `M${f(cx - s * ew * 0.8)} ${f(EYE_Y - eh - 1.3)}Q${f(cx)} ${f(EYE_Y - eh * 2.1 - 1.4)} ${f(cx + s * ew * 0.95)} ${f(EYE_Y - eh - 1.0)}`,
    c,
    0.45,
    0.55
  )
  out += stroke(`M${f(xi)} ${f(yi)}Q${f(cx)} ${f(cu)} ${f(xo)} ${f(yo)}`, dark, 1.0)
  out += stroke(`M${f(xi)} ${f(yi)}Q${f(cx)} ${f(cl)} ${f(xo)} ${f(yo)}`, c, 0.45, 0.85)
  // AU6: crow's feet at the outer corner and the lower-lid bulge pushed up by the cheek.
  for (const k of [-1, 0, 1]) {
    const x0 = xo + s * 1.0
    out += stroke(`M${f(x0)} ${f(EYE_Y + 0.6 * k)}L${f(x0 + s * 3.4)} ${f(EYE_Y + 1.7 * k - 0.2)}`, c, 0.5, 0.85 * a[6])
  }
  out += stroke(
    `M${f(cx - s * ew * 0.8)} ${f(yLo + 1.3)}Q${f(cx)} ${f(yLo + 2.6)} ${f(cx + s * ew * 0.9)} ${f(yLo + 1.0)}`,
    c,
    0.5,
    0.8 * a[6]
  )
  return out
}

function cheeks(p: FaceParams): string {
  const id = p.identity
  const a6 = p.aus[6]
  const light = mixRgb(shade(id.skin, 1.12), [255, 200, 190], 0.15)
  let out = ''
  for (const s of [-1, 1]) {
    // Cheek "apple": at rest low and faint, with AU6 higher and brighter. Bottom edge ≤ EYE_Y + 9.5 + 3.2 = 4.7.
    const cy = EYE_Y + 9.5 - 3 * a6
    out += `<ellipse cx="${f(s * (id.eyeSpacing + 1))}" cy="${f(cy)}" rx="5.5" ry="3.2" fill="${rgb(light)}" fill-opacity="${f(0.22 + 0.4 * a6)}"/>`
  }
  return out
}

/** The static nose (its tip sits between the regions, so nothing moves it). */
export function drawNose(p: FaceParams): string {
  const id = p.identity
  const c = creaseColor(id.skin)
  const t = id.noseTip
  const w = id.noseWidth
  let out = `<ellipse cx="0" cy="${f(t - 1.2)}" rx="${f(w * 0.55)}" ry="2" fill="${rgb(shade(id.skin, 1.08))}" fill-opacity="0.6"/>`
  for (const s of [-1, 1]) {
    out += stroke(`M${f(s * 2.2)} -5Q${f(s * 2.7)} ${f(t - 6)} ${f(s * 3.0)} ${f(t - 3)}`, c, 0.45, 0.35)
    out += stroke(
      `M${f(s * w * 0.8)} ${f(t - 2.6)}Q${f(s * (w + 1.1))} ${f(t + 0.4)} ${f(s * w * 0.45)} ${f(t + 1.6)}`,
      c,
      0.6,
      0.8
    )
    out += `<ellipse cx="${f(s * w * 0.5)}" cy="${f(t + 0.7)}" rx="1.2" ry="0.7" fill="${rgb(shade(id.skin, 0.35))}"/>`
  }
  return out
}

/** Everything the eye AUs act on, in local face coordinates. */
export function drawUpperFace(p: FaceParams): string {
  return cheeks(p) + forehead(p) + eye(p, -1) + eye(p, 1) + brow(p, -1) + brow(p, 1)
}
