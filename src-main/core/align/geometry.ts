/**
 * A point in continuous pixel coordinates: x to the right, y down, (0, 0) the top-left corner of the image,
 * so pixel (row i, column j) covers [j, j+1) × [i, i+1) and has its centre at (j + 0.5, i + 0.5).
 */
export interface Point {
  x: number
  y: number
}

/**
 * A 2×3 affine transform [a, b, tx, c, d, ty] mapping a source point to a destination point:
 * x' = a·x + b·y + tx, y' = c·x + d·y + ty. Stored row-major, as OpenCV's warpAffine matrices.
 */
export type Affine = [number, number, number, number, number, number]

export function applyAffine(m: Affine, p: Point): Point {
  return { x: m[0] * p.x + m[1] * p.y + m[2], y: m[3] * p.x + m[4] * p.y + m[5] }
}

export function invertAffine(m: Affine): Affine {
  const [a, b, tx, c, d, ty] = m
  const det = a * d - b * c
  if (Math.abs(det) < 1e-12) throw new Error(`affine transform is singular (det ${det})`)
  const ia = d / det
  const ib = -b / det
  const ic = -c / det
  const id = a / det
  return [ia, ib, -(ia * tx + ib * ty), ic, id, -(ic * tx + id * ty)]
}

/** m2 ∘ m1: first m1, then m2. */
export function composeAffine(m2: Affine, m1: Affine): Affine {
  return [
    m2[0] * m1[0] + m2[1] * m1[3],
    m2[0] * m1[1] + m2[1] * m1[4],
    m2[0] * m1[2] + m2[1] * m1[5] + m2[2],
    m2[3] * m1[0] + m2[4] * m1[3],
    m2[3] * m1[1] + m2[4] * m1[4],
    m2[3] * m1[2] + m2[4] * m1[5] + m2[5]
  ]
}

export function mean(points: readonly Point[]): Point {
  if (!points.length) throw new Error('mean of no points')
  let x = 0
  let y = 0
  for (const p of points) {
    x += p.x
    y += p.y
  }
  return { x: x / points.length, y: y / points.length }
}

export function distance(a: Point, b: Point): number {
  return Math.hypot(b.x - a.x, b.y - a.y)
}

/** Angle of the line from a to b in degrees, positive clockwise on screen (y down). */
export function angleDeg(a: Point, b: Point): number {
  return (Math.atan2(b.y - a.y, b.x - a.x) * 180) / Math.PI
}

/**
 * Eye and mouth centres from points. For 68 points (iBUG-300W order): the image-left eye is 36–41, the
 * image-right eye 42–47, the mouth 48–67. For 5 points: left eye, right eye, nose, left and right mouth corner.
 */
export function keyPoints(landmarks: readonly Point[]): { leftEye: Point; rightEye: Point; mouth: Point } {
  if (landmarks.length === 68) {
    return {
      leftEye: mean(landmarks.slice(36, 42)),
      rightEye: mean(landmarks.slice(42, 48)),
      mouth: mean(landmarks.slice(48, 68))
    }
  }
  if (landmarks.length === 5) {
    return { leftEye: landmarks[0], rightEye: landmarks[1], mouth: mean([landmarks[3], landmarks[4]]) }
  }
  throw new Error(`expected 68 or 5 landmarks, got ${landmarks.length}`)
}

/**
 * Where the eyes go in an aligned crop, as fractions of the output side: the eye midpoint sits at
 * (0.5, eyeY) and the eye centres are eyeDistance apart on a horizontal line.
 */
export interface CanonicalFrame {
  /** Inter-eye distance / output width (0..1). */
  eyeDistance: number
  /** Height of the eye line / output height (0..1, from the top). */
  eyeY: number
}

/**
 * Widens a canonical frame by a border: margin is extra space on every side as a fraction of the
 * canonical crop (0 = unchanged, 0.1 = the canonical crop fills the middle 1/1.2 of the output).
 */
export function withMargin(frame: CanonicalFrame, margin: number): CanonicalFrame {
  if (!(margin > -0.45 && margin < 2)) throw new Error(`margin ${margin} out of range (-0.45, 2)`)
  const k = 1 + 2 * margin
  return { eyeDistance: frame.eyeDistance / k, eyeY: (frame.eyeY + margin) / k }
}

/**
 * The similarity transform (rotation + uniform scale + translation) taking the eye centres to their
 * canonical positions in an outSize×outSize crop: eyes level, inter-eye distance = eyeDistance·outSize,
 * midpoint at (outSize/2, eyeY·outSize). Crop pixel (i, j) samples the source at inverse(M)(j + 0.5, i + 0.5).
 * `scaleDistance` (source pixels, default the eye distance) replaces the eye distance for the scale only,
 * e.g. to stop a turned head, whose projected eyes are close together, from being over-zoomed.
 */
export function eyeAlignTransform(
  leftEye: Point,
  rightEye: Point,
  frame: CanonicalFrame,
  outSize: number,
  scaleDistance?: number
): Affine {
  const d = distance(leftEye, rightEye)
  if (!(d > 1e-6)) throw new Error('eye centres coincide: cannot align')
  const ds = scaleDistance ?? d
  if (!(ds > 1e-6)) throw new Error(`scale distance ${ds} must be positive`)
  const s = (frame.eyeDistance * outSize) / ds
  const theta = Math.atan2(rightEye.y - leftEye.y, rightEye.x - leftEye.x)
  // Rotate by -theta so the eye line becomes horizontal.
  const cos = Math.cos(-theta) * s
  const sin = Math.sin(-theta) * s
  const mid = { x: (leftEye.x + rightEye.x) / 2, y: (leftEye.y + rightEye.y) / 2 }
  const cx = outSize / 2
  const cy = frame.eyeY * outSize
  return [cos, -sin, cx - (cos * mid.x - sin * mid.y), sin, cos, cy - (sin * mid.x + cos * mid.y)]
}

/**
 * Frontal faces have eye distance / (eye midpoint → nose base, point 33) between 1.14 and 1.66 (CK+48 and
 * JAFFE, measured in bench/align.ts); below YAW_GUARD_RATIO the head is turned (≳ 35° yaw) and the eye
 * distance understates the face size.
 */
export const YAW_GUARD_RATIO = 1.1

/**
 * The distance to scale by: the eye distance, or YAW_GUARD_RATIO × the eye-to-nose-base distance when
 * that is larger (turned heads). For 5 points (no nose base) the eye distance.
 */
export function alignScaleDistance(landmarks: readonly Point[]): number {
  const { leftEye, rightEye } = keyPoints(landmarks)
  const dEye = distance(leftEye, rightEye)
  if (landmarks.length !== 68) return dEye
  const mid = { x: (leftEye.x + rightEye.x) / 2, y: (leftEye.y + rightEye.y) / 2 }
  return Math.max(dEye, YAW_GUARD_RATIO * distance(mid, landmarks[33]))
}

/** Scale factor of a similarity (or the geometric mean scale of any affine). */
export function affineScale(m: Affine): number {
  return Math.sqrt(Math.abs(m[0] * m[4] - m[1] * m[3]))
}

/** Rotation of an affine in degrees (for a similarity; y down, positive = clockwise on screen). */
export function affineRotationDeg(m: Affine): number {
  return (Math.atan2(m[3], m[0]) * 180) / Math.PI
}
