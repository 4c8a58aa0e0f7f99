import { alignFace, type AlignMode, type AlignOptions, type AlignResult } from './align'
import type { RawImage } from './warp'

/** What the importer gets back per decoded image. */
export interface PreparedFace {
  /**
   * Pixels to resize into the pixel cache: the aligned square crop, or the decoded image unchanged when
   * it was already a tight crop, had no face, or alignment is off. Same channel count as the input.
   */
  pixels: RawImage
  /** The full result, to store with saveFace() (nothing is stored for status 'skipped'). */
  face: AlignResult
}

/** The importer's hook: decoded pixels in, pixels to cache (and the face record) out. */
export type PrepareFace = (decoded: RawImage) => Promise<PreparedFace>

/**
 * Builds the import hook for `poi-audit import --align <mode>`. The crop side defaults to 112 px (the
 * largest input the model helpers use; the cache resizes it further); channels follow the source.
 * Throws only on malformed pixel buffers (the message names the problem); a file with no face is not an error.
 */
export function makePrepareFace(mode: AlignMode, options: Omit<AlignOptions, 'mode'> = {}): PrepareFace {
  const opts: AlignOptions = { outSize: 112, ...options, mode, channels: 'same' }
  return async (decoded) => {
    const face = await alignFace(decoded, opts)
    return { pixels: face.image, face }
  }
}

/** Parses a CLI value for --align, with an error naming the bad value. */
export function parseAlignMode(value: string): AlignMode {
  if (value === 'auto' || value === 'always' || value === 'never') return value
  throw new Error(`--align must be auto, always or never (got '${value}')`)
}
