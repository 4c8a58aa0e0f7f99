import { alignFace, type AlignOptions, type AlignResult } from './align'
import type { AlignMode } from './mode'
import { convertChannels, type RawImage } from './warp'

/** Pixels as the importer's cache step takes them: 8-bit HWC, gray or RGB. */
export interface FacePixels {
  data: Uint8Array
  width: number
  height: number
  channels: 1 | 3
}

/** What the importer may know about an image besides its pixels. */
export interface FaceHookContext {
  relPath?: string
  /** A face rectangle the source gave, [x, y, width, height] in decoded pixels: detection is skipped. */
  faceBox?: [number, number, number, number]
}

/** What the importer gets back per decoded image. */
export interface PreparedFace {
  /**
   * Pixels to resize into the pixel cache: the aligned square crop, or the decoded image unchanged when
   * it was already a tight crop, had no face, or alignment is off. Gray stays gray, colour stays colour.
   */
  pixels: FacePixels
  /** The full result, to store with saveFace() (nothing is stored for status 'skipped'). */
  face: AlignResult
}

/** The importer's hook: decoded pixels in, pixels to cache (and the face record) out. */
export type PrepareFaceHook = (decoded: RawImage, ctx?: FaceHookContext) => Promise<PreparedFace>

/**
 * Builds the import hook for `poi-audit import --align <mode>`. The crop side defaults to 112 px (the
 * largest input the model helpers use; the cache resizes it further); channels follow the source.
 * Throws only on malformed pixel buffers or a face box outside the image (the message names the
 * problem); a file with no face is not an error.
 */
export function makePrepareFace(
  mode: AlignMode,
  options: Omit<AlignOptions, 'mode' | 'faceBox'> = {}
): PrepareFaceHook {
  const opts: AlignOptions = { outSize: 112, ...options, mode, channels: 'same' }
  return async (decoded, ctx) => {
    const b = ctx?.faceBox
    const face = await alignFace(
      decoded,
      b ? { ...opts, faceBox: { x: b[0], y: b[1], width: b[2], height: b[3] } } : opts
    )
    const img = face.image
    const pixels = img.channels === 1 || img.channels === 3 ? img : convertChannels(img, img.channels === 2 ? 1 : 3)
    return { pixels: pixels as FacePixels, face }
  }
}

export { parseAlignMode } from './mode'
