import type { PrepareFace } from '../dataset/cache-build'
import type { DB } from '../store/db'
import { nowIso } from '../store/db'
import type { AlignMode, AlignResult } from './align'
import { makePrepareFace } from './prepare'
import { getFace, saveFace } from './store'
import { warpAffine } from './warp'

/** Side of the aligned crop handed to the pixel cache (the cache resizes it to the project's input size). */
export const IMPORT_ALIGN_SIZE = 112

/** Images of one size the `auto` step checks with the detector before deciding for the whole import. */
export const AUTO_SAMPLE = 48
/** Share of that sample that must be tight crops for the rest of that size to pass through unchecked. */
export const AUTO_TIGHT_SHARE = 0.9

/**
 * The importer's face step for `--align <mode>` (dataset/cache-build.ts `PrepareFace`): detects and
 * aligns each decoded image and stores its `faces` row inside the import transaction, so the record is
 * rolled back with a cancelled import. undefined for 'never' (the importer then keeps the pixels as they are).
 *
 * 'auto' decides per image size, from a sample: crop datasets (FER2013, CK+48: every image 48×48) are
 * tight crops throughout, and running the detector on 36k of them costs ~19 ms CPU each for nothing.
 * The first AUTO_SAMPLE images of a given width×height go through the detector; when at least
 * AUTO_TIGHT_SHARE of them come back 'already-aligned', every later image of that size is recorded as
 * 'already-aligned' with detector 'dataset-sample' (the record says the decision was the sample's).
 * Any other size, or a sample that is not mostly tight crops (uncropped photos such as JAFFE), keeps
 * per-image detection and alignment.
 */
export function alignImportStep(mode: AlignMode, outSize = IMPORT_ALIGN_SIZE): PrepareFace | undefined {
  if (mode === 'never') return undefined
  const hook = makePrepareFace(mode, { outSize })
  const samples = new Map<string, { seen: number; tight: number }>()
  return async (img, ctx) => {
    const key = `${img.width}x${img.height}`
    const s = samples.get(key) ?? { seen: 0, tight: 0 }
    samples.set(key, s)
    if (mode === 'auto' && s.seen >= AUTO_SAMPLE && s.tight >= AUTO_TIGHT_SHARE * s.seen && !ctx.faceBox) {
      const face: AlignResult = {
        status: 'already-aligned',
        image: img,
        detScore: null,
        box: null,
        landmarks: null,
        transform: null,
        facesFound: 0,
        chosenIndex: null,
        detector: 'dataset-sample'
      }
      return { pixels: img, store: (db, imageId) => void saveFace(db, imageId, face, mode, outSize, nowIso()) }
    }
    const r = await hook(img, ctx)
    s.seen++
    if (r.face.status === 'already-aligned') s.tight++
    return { pixels: r.pixels, store: (db, imageId) => void saveFace(db, imageId, r.face, mode, outSize, nowIso()) }
  }
}

/**
 * The face step for rebuilding the pixel cache at another size (dataset `ensurePixelCache`): replays the
 * transform stored at import instead of detecting again, so every cache size shows the same crop and
 * no detector runs. Images without a stored transform (passed through, no face, never aligned) keep
 * their decoded pixels. The image is found by `ctx.imageId` when the caller gives it, else by its path
 * (and size, when two datasets hold the same relative path); an ambiguous path is an error naming it.
 */
export function storedFaceStep(db: DB): PrepareFace {
  const byPath = db.prepare('SELECT id, width, height FROM images WHERE rel_path = ? ORDER BY id')
  return (img, ctx) => {
    let id = ctx.imageId
    if (id === undefined) {
      let rows = byPath.all(ctx.relPath) as { id: number; width: number | null; height: number | null }[]
      if (rows.length > 1) rows = rows.filter((r) => r.width === img.width && r.height === img.height)
      if (rows.length > 1)
        throw new Error(
          `cannot tell which image ${ctx.relPath} is: ${rows.length} images share that path and size (ids ${rows.map((r) => r.id).join(', ')})`
        )
      id = rows[0]?.id
    }
    const face = id === undefined ? null : getFace(db, id)
    if (!face?.transform || !face.outSize) return img
    // The warp keeps the source's channel count (1 or 3 for decoded images).
    const out = warpAffine(img, face.transform, face.outSize, face.outSize)
    return { data: out.data, width: out.width, height: out.height, channels: img.channels }
  }
}
