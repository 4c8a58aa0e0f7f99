import type { PrepareFace } from '../dataset/cache-build'
import type { DB } from '../store/db'
import { nowIso } from '../store/db'
import type { AlignMode } from './align'
import { makePrepareFace } from './prepare'
import { getFace, saveFace } from './store'
import { warpAffine } from './warp'

/** Side of the aligned crop handed to the pixel cache (the cache resizes it to the project's input size). */
export const IMPORT_ALIGN_SIZE = 112

/**
 * The importer's face step for `--align <mode>` (dataset/cache-build.ts `PrepareFace`): detects and
 * aligns each decoded image and stores its `faces` row inside the import transaction, so the record is
 * rolled back with a cancelled import. undefined for 'never' (the importer then keeps the pixels as they are).
 */
export function alignImportStep(mode: AlignMode, outSize = IMPORT_ALIGN_SIZE): PrepareFace | undefined {
  if (mode === 'never') return undefined
  const hook = makePrepareFace(mode, { outSize })
  return async (img, ctx) => {
    const r = await hook(img, ctx)
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
    let id = (ctx as { imageId?: number }).imageId
    if (id === undefined) {
      let rows = byPath.all(ctx.relPath) as { id: number; width: number | null; height: number | null }[]
      if (rows.length > 1) rows = rows.filter((r) => r.width === img.width && r.height === img.height)
      if (rows.length > 1) throw new Error(`cannot tell which image ${ctx.relPath} is: ${rows.length} images share that path and size (ids ${rows.map((r) => r.id).join(', ')})`)
      id = rows[0]?.id
    }
    const face = id === undefined ? null : getFace(db, id)
    if (!face?.transform || !face.outSize) return img
    // The warp keeps the source's channel count (1 or 3 for decoded images).
    const out = warpAffine(img, face.transform, face.outSize, face.outSize)
    return { data: out.data, width: out.width, height: out.height, channels: img.channels }
  }
}
