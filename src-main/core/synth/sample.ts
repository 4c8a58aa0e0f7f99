/**
 * Draws the full parameters of one face of a given class: identity (or a given one), pose, lighting,
 * noise, background and the class's action units.
 */
import type { ClassName } from '../classes'
import { sampleExpression, type ExpressionOptions } from './expression'
import {
  sampleBackground,
  sampleIdentity,
  sampleLighting,
  sampleNoise,
  samplePose,
  type AuId,
  type FaceIdentity,
  type FaceParams
} from './params'
import type { Rng } from '../util/rng'

export interface SampleFaceOptions extends ExpressionOptions {
  /** Output size in pixels; default 64. */
  size?: number
  /** 1 = grey (default), 3 = RGB. */
  channels?: 1 | 3
  /** Use this identity instead of drawing a new one. */
  identity?: FaceIdentity
  /** Id given to a newly drawn identity; default 0. */
  identityId?: number
  /** Scales pose, lighting and noise variation: 0 = canonical frontal face, 1 = default ranges. */
  jitter?: number
}

/** A sampled face: its render parameters plus what the expression sampler decided. */
export interface SampledFace {
  params: FaceParams
  cls: ClassName
  /** Prior AUs of `cls` left out of this face. */
  dropped: AuId[]
  /** Low-intensity AUs from outside the class's prior. */
  distractors: AuId[]
}

/**
 * Samples one face of class `cls`. The rng is consumed in a fixed order (identity, pose, lighting,
 * noise, background, expression), each part from its own forked stream, so that e.g. passing a fixed
 * identity does not shift the pose that the same seed gives.
 */
export function sampleFaceParams(rng: Rng, cls: ClassName, opts: SampleFaceOptions = {}): SampledFace {
  const size = opts.size ?? 64
  const channels = opts.channels ?? 1
  const jitter = opts.jitter ?? 1
  if (!(jitter >= 0 && jitter <= 1)) throw new Error(`jitter must be in 0..1, got ${jitter}`)
  const idRng = rng.fork('identity')
  const poseRng = rng.fork('pose')
  const lightRng = rng.fork('lighting')
  const noiseRng = rng.fork('noise')
  const bgRng = rng.fork('background')
  const exprRng = rng.fork('expression')
  const identity = opts.identity ?? sampleIdentity(idRng, opts.identityId ?? 0)
  const expr = sampleExpression(exprRng, cls, opts)
  return {
    params: {
      size,
      channels,
      identity,
      pose: samplePose(poseRng, jitter),
      lighting: sampleLighting(lightRng, jitter),
      noise: sampleNoise(noiseRng, size, jitter),
      background: sampleBackground(bgRng),
      aus: expr.aus,
      au14Side: exprRng.chance(0.5) ? 1 : -1
    },
    cls,
    dropped: expr.dropped,
    distractors: expr.distractors
  }
}
