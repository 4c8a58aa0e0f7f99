/**
 * Assembles the SVG of one face: background, hair, head, upper and lower face, lighting overlay.
 *
 * Coordinates: the viewBox is 100×100 face units at any output size. The head is drawn in local
 * coordinates centred on the canvas and placed by the pose transform (translate, roll, scale with a
 * horizontal squeeze). The inner features get an extra horizontal yaw shift. Regions: the eye AUs only
 * touch local y ≤ UPPER_FACE_MAX_Y (6), the mouth AUs only local y ≥ LOWER_FACE_MIN_Y (13); the gap
 * absorbs roll (±8°), so in the image the eye AUs stay in the top and the mouth AUs in the bottom part.
 */
import { CHIN_Y, chinY, drawLowerFace } from './draw-lower'
import { drawNose, drawUpperFace } from './draw-upper'
import { f, rgb, shade } from './draw-util'
import type { FaceParams } from './params'

/**
 * Framing of the canonical pose: local (0, 0) sits at canvas (50, 50 + FRAME_DY) and one local unit is
 * FRAME_SCALE canvas units, which crops like FER datasets (eyes at ≈ 0.39 H, mouth at ≈ 0.73 H, top of
 * the skull cut off).
 */
export const FRAME_SCALE = 1.15
export const FRAME_DY = -2

function background(p: FaceParams): string {
  const b = p.background
  if (b.kind === 'flat') return `<rect width="100" height="100" fill="${rgb(b.colors[0])}"/>`
  if (b.kind === 'gradient') {
    const r = (b.angle * Math.PI) / 180
    const [x1, y1, x2, y2] = [
      0.5 - 0.5 * Math.cos(r),
      0.5 - 0.5 * Math.sin(r),
      0.5 + 0.5 * Math.cos(r),
      0.5 + 0.5 * Math.sin(r)
    ]
    return (
      `<linearGradient id="bg" x1="${f(x1)}" y1="${f(y1)}" x2="${f(x2)}" y2="${f(y2)}">` +
      `<stop offset="0" stop-color="${rgb(b.colors[0])}"/><stop offset="1" stop-color="${rgb(b.colors[1])}"/></linearGradient>` +
      `<rect width="100" height="100" fill="url(#bg)"/>`
    )
  }
  let out = `<rect width="100" height="100" fill="${rgb(b.colors[0])}"/>`
  for (const c of b.blobs)
    out += `<circle cx="${f(c.cx)}" cy="${f(c.cy)}" r="${f(c.r)}" fill="${rgb(c.color)}" fill-opacity="${f(c.opacity)}"/>`
  return out
}

/** Hair behind the head (long hair only) and body: static, identity-only. */
function behindHead(p: FaceParams): string {
  const id = p.identity
  const W = id.faceWidth
  let out = ''
  if (id.hair === 'long') {
    out +=
      `<path d="M${f(-W - 4)} 30L${f(-W - 4.5)} -8C${f(-W - 5)} -52 ${f(W + 5)} -52 ${f(W + 4.5)} -8L${f(W + 4)} 30` +
      `Q${f(W + 1)} 33 ${f(W - 3)} 30L${f(-W + 3)} 30Q${f(-W - 1)} 33 ${f(-W - 4)} 30Z" fill="${rgb(shade(id.hairColor, 0.85))}"/>`
  }
  const neck = shade(id.skin, 0.8)
  out += `<path d="M${f(-0.42 * W)} 16L${f(-0.46 * W)} 60L${f(0.46 * W)} 60L${f(0.42 * W)} 16Z" fill="${rgb(neck)}"/>`
  out += `<path d="M-60 70L-60 54Q-40 43 ${f(-0.46 * W)} 45Q0 52 ${f(0.46 * W)} 45Q40 43 60 54L60 70Z" fill="${rgb(id.shirt)}"/>`
  for (const s of [-1, 1]) {
    out += `<ellipse cx="${f(s * W * 0.97)}" cy="-5" rx="3.4" ry="6.2" fill="${rgb(shade(id.skin, 0.9))}"/>`
  }
  return out
}

/**
 * Cranium and jaw at rest (static), plus — when the jaw drops — a separate lower-jaw shape whose top
 * edge lies at local y = 20. A separate element because the rasteriser's coverage of a path's upper
 * edges can shift by one grey level when its lower segments move; another element leaves them alone.
 */
function head(p: FaceParams): string {
  const id = p.identity
  const W = id.faceWidth
  const J = id.jaw * W
  const skin = id.skin
  const grad =
    `<radialGradient id="skin" gradientUnits="userSpaceOnUse" cx="0" cy="-6" r="${f(W * 1.45)}">` +
    `<stop offset="0" stop-color="${rgb(shade(skin, 1.06))}"/><stop offset="0.55" stop-color="${rgb(skin)}"/>` +
    `<stop offset="1" stop-color="${rgb(shade(skin, 0.78))}"/></radialGradient>`
  const lowerJaw = (cy: number): string =>
    `C${f(-0.86 * W)} ${f(cy - 8)} ${f(-J)} ${f(cy)} 0 ${f(cy)}C${f(J)} ${f(cy)} ${f(0.86 * W)} ${f(cy - 8)} ${f(0.92 * W)} 20`
  const jaw = `M${f(-W)} -6C${f(-W)} 6 ${f(-0.98 * W)} 14 ${f(-0.92 * W)} 20${lowerJaw(CHIN_Y)}C${f(0.98 * W)} 14 ${f(W)} 6 ${f(W)} -6Z`
  let out = `${grad}<ellipse cx="0" cy="-6" rx="${f(W)}" ry="38" fill="url(#skin)"/><path d="${jaw}" fill="url(#skin)"/>`
  const cy = chinY(p.aus)
  if (cy > CHIN_Y + 0.005) out += `<path d="M${f(-0.92 * W)} 20${lowerJaw(cy)}Z" fill="url(#skin)"/>`
  return out
}

function hairFront(p: FaceParams): string {
  const id = p.identity
  if (id.hair === 'none') return ''
  const W = id.faceWidth
  const h = id.hairline
  const d =
    `M${f(-W - 1.2)} -4C${f(-W - 2)} -30 ${f(-0.7 * W)} -47.5 0 -47C${f(0.7 * W)} -47.5 ${f(W + 2)} -30 ${f(W + 1.2)} -4` +
    `L${f(0.93 * W)} -6C${f(0.9 * W)} -22 ${f(0.65 * W)} ${f(h + 1)} 0 ${f(h)}C${f(-0.65 * W)} ${f(h + 1)} ${f(-0.9 * W)} -22 ${f(-0.93 * W)} -6Z`
  return `<path d="${d}" fill="${rgb(id.hairColor)}"/>`
}

function lightingOverlay(p: FaceParams): string {
  const l = p.lighting
  if (l.strength <= 0.005) return ''
  const r = (l.angle * Math.PI) / 180
  // Light comes from direction (cos r, sin r) with y pointing up: that side is brightened, the opposite darkened.
  const [x1, y1, x2, y2] = [
    0.5 + 0.5 * Math.cos(r),
    0.5 - 0.5 * Math.sin(r),
    0.5 - 0.5 * Math.cos(r),
    0.5 + 0.5 * Math.sin(r)
  ]
  return (
    `<linearGradient id="light" x1="${f(x1)}" y1="${f(y1)}" x2="${f(x2)}" y2="${f(y2)}">` +
    `<stop offset="0" stop-color="#fff" stop-opacity="${f(l.strength)}"/><stop offset="0.5" stop-color="#fff" stop-opacity="0"/>` +
    `<stop offset="0.5" stop-color="#000" stop-opacity="0"/><stop offset="1" stop-color="#000" stop-opacity="${f(l.strength)}"/>` +
    `</linearGradient><rect width="100" height="100" fill="url(#light)"/>`
  )
}

/** The complete SVG document of a face (before blur, tone, noise and greyscale, which renderFace applies). */
export function faceSvg(p: FaceParams): string {
  const q = p.pose
  const sc = FRAME_SCALE * q.scale
  const pose = `translate(${f(50 + q.tx)} ${f(50 + FRAME_DY + q.ty)}) rotate(${f(q.roll)}) scale(${f(sc * q.squeeze)} ${f(sc)})`
  return (
    `<svg xmlns="http://www.w3.org/2000/svg" width="${p.size}" height="${p.size}" viewBox="0 0 100 100">` +
    background(p) +
    `<g transform="${pose}">${behindHead(p)}${head(p)}${hairFront(p)}` +
    `<g transform="translate(${f(q.yawShift)} 0)">${drawNose(p)}${drawUpperFace(p)}${drawLowerFace(p)}</g></g>` +
    lightingOverlay(p) +
    '</svg>'
  )
}
