/**
 * Parameters of one synthetic face, and their samplers. A `FaceParams` value fully determines the
 * rendered image (renderFace is a pure function of it), so tests can hold identity, pose, lighting and
 * noise fixed and vary only the action units.
 *
 * Geometry is expressed in "face units": the SVG viewBox is 100×100 whatever the output size, and the
 * face is drawn in local coordinates whose origin is the centre of the canvas (y grows downwards).
 */
import { ALL_AUS } from '../classes'
import type { Rng } from '../util/rng'

/** One of the 13 action units of the POI prior (EYE_AUS then MOUTH_AUS). */
export type AuId = (typeof ALL_AUS)[number]

/** AU intensities in 0..1 (0 = absent), one entry per AU of ALL_AUS. */
export type AuIntensities = Record<AuId, number>

/** An RGB colour, each channel 0..255. */
export type Rgb = [number, number, number]

/** Who the face is: everything that stays fixed across the expressions of one synthetic person. */
export interface FaceIdentity {
  /** Identity id, recorded in the ground truth. */
  id: number
  /** Half-width of the head, face units (≈ 27..34). */
  faceWidth: number
  /** Half-width of the chin/jaw relative to faceWidth (0.35 = pointed, 0.7 = square). */
  jaw: number
  skin: Rgb
  /** Horizontal distance of each eye centre from the midline, face units. */
  eyeSpacing: number
  /** Half-width of each eye, face units. */
  eyeWidth: number
  /** Half-height of the open eye at rest, face units. */
  eyeOpen: number
  iris: Rgb
  /** Brow stroke width, face units. */
  browThickness: number
  /** Brow arch height at rest, face units. */
  browArch: number
  /** Vertical gap between eye centre and brow at rest, face units. */
  browGap: number
  /** y of the nose tip (local), face units. */
  noseTip: number
  /** Half-width of the nostril wings, face units. */
  noseWidth: number
  /** y of the mouth line at rest (local), face units. */
  mouthY: number
  /** Half-width of the mouth at rest, face units. */
  mouthWidth: number
  /** Upper and lower lip thickness at rest, face units. */
  lipUpper: number
  lipLower: number
  lip: Rgb
  hair: 'none' | 'short' | 'long'
  hairColor: Rgb
  /** Colour of the shirt collar at the bottom edge. */
  shirt: Rgb
  /** y of the hairline (local), face units; only used when hair ≠ 'none'. */
  hairline: number
}

/** Head pose and framing. The ranges keep eye AUs in the top and mouth AUs in the bottom part of the image (svg.ts). */
export interface FacePose {
  /** In-plane rotation, degrees (±8). */
  roll: number
  /** Horizontal squeeze of the whole head, 0.86..1 (a cheap stand-in for yaw). */
  squeeze: number
  /** Horizontal shift of the inner features relative to the outline, face units (yaw-like). */
  yawShift: number
  /** Translation of the head, face units. */
  tx: number
  ty: number
  /** Uniform scale of the head about the canvas centre. */
  scale: number
}

/** Scene lighting and tone, applied uniformly to the whole image. */
export interface FaceLighting {
  /** Direction the light comes from, degrees (0 = from the left, 90 = from above). */
  angle: number
  /** Opacity of the light/shadow gradient overlay, 0..0.4. */
  strength: number
  /** Added to every pixel after contrast, 0..255 units. */
  brightness: number
  /** Contrast multiplier about mid-grey 128. */
  contrast: number
}

/** Sensor noise. */
export interface FaceNoise {
  /** Std of additive gaussian pixel noise, 0..255 units. */
  sigma: number
  /** Gaussian blur sigma in output pixels; 0 = none (sharp needs ≥ 0.3 when set). */
  blur: number
  /** Seed of the noise field, so the noise is part of the parameters. */
  seed: number
}

export interface FaceBackground {
  kind: 'flat' | 'gradient' | 'blobs'
  colors: [Rgb, Rgb]
  /** Gradient angle, degrees. */
  angle: number
  /** For 'blobs': circles (cx, cy, r in canvas units, colour, opacity). */
  blobs: { cx: number; cy: number; r: number; color: Rgb; opacity: number }[]
}

/** Everything renderFace needs. */
export interface FaceParams {
  /** Output width = height, pixels. */
  size: number
  /** 1 = grey PNG, 3 = RGB PNG. */
  channels: 1 | 3
  identity: FaceIdentity
  pose: FacePose
  lighting: FaceLighting
  noise: FaceNoise
  background: FaceBackground
  aus: AuIntensities
  /** Which side AU14 (dimpler) acts on mostly: -1 = image left, +1 = image right (contempt is one-sided). */
  au14Side: -1 | 1
  /**
   * Optional corruption of one face region (for testing the OIM gate): the image quadrant of `region`
   * ([UL, UR, LL, LR], image coordinates, as the PIN's crops) is covered by a flat grey occluder
   * (default) or by seeded uniform noise.
   */
  occlusion?: { region: 'UL' | 'UR' | 'LL' | 'LR'; seed: number; kind?: 'flat' | 'noise' }
}

/** All AUs at 0. */
export function zeroAus(): AuIntensities {
  const out = {} as AuIntensities
  for (const au of ALL_AUS) out[au] = 0
  return out
}

const round3 = (v: number): number => Math.round(v * 1000) / 1000

function mix(a: Rgb, b: Rgb, t: number): Rgb {
  return [0, 1, 2].map((k) => Math.round(a[k] + (b[k] - a[k]) * t)) as Rgb
}

const SKIN_LIGHT: Rgb = [246, 214, 190]
const SKIN_MID: Rgb = [186, 136, 100]
const SKIN_DARK: Rgb = [112, 72, 50]
const HAIR: Rgb[] = [
  [28, 22, 20],
  [60, 40, 28],
  [110, 76, 44],
  [176, 140, 90],
  [140, 60, 30],
  [150, 150, 150]
]
const IRIS: Rgb[] = [
  [70, 45, 30],
  [40, 30, 25],
  [60, 100, 150],
  [80, 110, 70]
]

/** Draws a random identity. The ranges are wide enough to vary faces but keep features readable at 48 px. */
export function sampleIdentity(rng: Rng, id: number): FaceIdentity {
  const tone = rng.next()
  const skin = tone < 0.5 ? mix(SKIN_LIGHT, SKIN_MID, tone * 2) : mix(SKIN_MID, SKIN_DARK, (tone - 0.5) * 2)
  const hairColor = rng.pick(HAIR)
  const eyeWidth = rng.uniform(5.2, 6.8)
  const hairRoll = rng.next()
  return {
    id,
    faceWidth: rng.uniform(27, 33),
    jaw: rng.uniform(0.38, 0.68),
    skin,
    eyeSpacing: rng.uniform(11.5, 14),
    eyeWidth,
    eyeOpen: rng.uniform(2.3, 3.0),
    iris: rng.pick(IRIS),
    browThickness: rng.uniform(1.5, 2.6),
    browArch: rng.uniform(1.0, 2.6),
    browGap: rng.uniform(7.5, 9),
    noseTip: rng.uniform(8, 10.5),
    noseWidth: rng.uniform(3.6, 5.2),
    mouthY: rng.uniform(21, 23.5),
    mouthWidth: rng.uniform(9, 12),
    lipUpper: rng.uniform(1.6, 2.6),
    lipLower: rng.uniform(2.2, 3.4),
    lip: mix(mix(skin, [150, 50, 55], 0.55), [60, 20, 20], tone * 0.3),
    hair: hairRoll < 0.15 ? 'none' : hairRoll < 0.65 ? 'short' : 'long',
    hairColor,
    shirt: [rng.uniform(20, 230), rng.uniform(20, 230), rng.uniform(20, 230)].map(Math.round) as Rgb,
    hairline: rng.uniform(-38, -33)
  }
}

/** How much nuisance variation to draw: 0 = canonical (frontal, even light, no noise), 1 = the default ranges. */
export interface NuisanceOptions {
  /** Scales pose, lighting and noise ranges; default 1. */
  jitter?: number
}

export function samplePose(rng: Rng, jitter = 1): FacePose {
  return {
    roll: rng.uniform(-8, 8) * jitter,
    squeeze: 1 - rng.uniform(0, 0.14) * jitter,
    yawShift: rng.uniform(-2.5, 2.5) * jitter,
    tx: rng.uniform(-4, 4) * jitter,
    ty: rng.uniform(-3, 3) * jitter,
    scale: 1 + rng.uniform(-0.08, 0.08) * jitter
  }
}

export function sampleLighting(rng: Rng, jitter = 1): FaceLighting {
  return {
    angle: rng.uniform(0, 360),
    strength: rng.uniform(0, 0.35) * jitter,
    brightness: rng.uniform(-25, 25) * jitter,
    contrast: 1 + rng.uniform(-0.25, 0.2) * jitter
  }
}

/** @param size output size in pixels: blur is scaled with it so that it softens features equally at 48 and 112. */
export function sampleNoise(rng: Rng, size: number, jitter = 1): FaceNoise {
  const sigma = rng.uniform(0, 8) * jitter
  const blurred = rng.chance(0.35 * jitter)
  const blur = blurred ? Math.max(0.3, rng.uniform(0.3, 0.9) * (size / 64)) : 0
  return { sigma, blur, seed: rng.nextU32() }
}

export function sampleBackground(rng: Rng): FaceBackground {
  const base = (): Rgb => {
    const g = rng.uniform(40, 220)
    const tint = (): number => Math.max(0, Math.min(255, Math.round(g + rng.uniform(-35, 35))))
    return [tint(), tint(), tint()]
  }
  const r = rng.next()
  const kind = r < 0.35 ? 'flat' : r < 0.7 ? 'gradient' : 'blobs'
  const colors: [Rgb, Rgb] = [base(), base()]
  const blobs: FaceBackground['blobs'] = []
  if (kind === 'blobs') {
    const n = 3 + rng.int(5)
    for (let i = 0; i < n; i++) {
      blobs.push({
        cx: rng.uniform(0, 100),
        cy: rng.uniform(0, 100),
        r: rng.uniform(6, 22),
        color: base(),
        opacity: rng.uniform(0.3, 0.8)
      })
    }
  }
  return { kind, colors, angle: rng.uniform(0, 360), blobs }
}

/** Rounds every intensity to 3 decimals so that what is recorded is exactly what was drawn. */
export function roundAus(aus: AuIntensities): AuIntensities {
  const out = zeroAus()
  for (const au of ALL_AUS) out[au] = round3(Math.max(0, Math.min(1, aus[au] ?? 0)))
  return out
}
