import { mkdirSync } from 'node:fs'
import { join } from 'node:path'
import sharp from 'sharp'
import { afterAll, beforeAll, describe, expect, it } from 'vitest'
import { importCommand } from '../../../src-main/cli/commands/import'
import { EXIT, type CliIo } from '../../../src-main/cli/ui/io'
import { alignFace } from '../../../src-main/core/align/align'
import { storedFaceStep } from '../../../src-main/core/align/import-step'
import { getFace } from '../../../src-main/core/align/store'
import type { RawImage } from '../../../src-main/core/align/warp'
import { cachePixels } from '../../../src-main/core/dataset/cache-build'
import { ensurePixelCache } from '../../../src-main/core/dataset/index'
import { openProject } from '../../../src-main/core/project'
import { ensureJobCache } from '../../../src-main/core/train/worker-host'
import { readPixels } from '../../../src-main/core/store/cache'
import { renderFaceRaw, Rng, sampleFaceParams } from '../../../src-main/core/synth/index'
import { tempDir } from '../../helpers/tmp'

const tmp = tempDir('poi-align-import-')
afterAll(() => tmp.cleanup())

function io(): CliIo & { stdout: string; stderr: string } {
  const o = {
    stdout: '',
    stderr: '',
    out: (s: string) => void (o.stdout += s),
    err: (s: string) => void (o.stderr += s)
  }
  return o
}

async function toRaw(s: ReturnType<typeof sharp>): Promise<RawImage> {
  const { data, info } = await s.removeAlpha().raw().toBuffer({ resolveWithObject: true })
  return { data: new Uint8Array(data), width: info.width, height: info.height, channels: info.channels }
}

/** A class-folder dataset: a face in a scene, a tight face crop, a faceless noise picture (PNG, RGB). */
async function makeDataset(root: string): Promise<Record<string, RawImage>> {
  const face = async (seed: number, size: number) => {
    const { params } = sampleFaceParams(new Rng(seed), 'happiness', { size, channels: 3, jitter: 0 })
    const r = await renderFaceRaw(params)
    return sharp(r.data, { raw: { width: r.width, height: r.height, channels: 3 } })
      .png()
      .toBuffer()
  }
  const scene = await toRaw(
    sharp({ create: { width: 320, height: 260, channels: 3, background: { r: 90, g: 110, b: 120 } } }).composite([
      { input: await face(21, 128), left: 110, top: 60 }
    ])
  )
  const tight = await toRaw(sharp(await face(22, 96)))
  const noise = await toRaw(
    sharp(Buffer.from(Array.from({ length: 200 * 150 * 3 }, (_, i) => (i * 2654435761) % 251)), {
      raw: { width: 200, height: 150, channels: 3 }
    })
  )
  const files: Record<string, RawImage> = { 'happy/scene.png': scene, 'happy/tight.png': tight, 'sad/noise.png': noise }
  for (const [rel, img] of Object.entries(files)) {
    mkdirSync(join(root, rel.split('/')[0]), { recursive: true })
    await sharp(Buffer.from(img.data), { raw: { width: img.width, height: img.height, channels: 3 } })
      .png()
      .toFile(join(root, rel))
  }
  return files
}

let root = ''
let files: Record<string, RawImage> = {}
beforeAll(async () => {
  root = join(tmp.dir, 'ds')
  files = await makeDataset(root)
})

/** Plain Uint8Array copies, so Buffer vs Uint8Array does not matter to the comparison. */
const u8 = (a: Uint8Array) => new Uint8Array(a)
const idOf = (db: ReturnType<typeof openProject>['db'], rel: string) =>
  db.prepare('SELECT id FROM images WHERE rel_path = ?').pluck().get(rel) as number

describe('poi-audit import --align', () => {
  it('auto: aligns the scene, passes the tight crop through, flags the faceless picture, and caches the aligned pixels', async () => {
    const file = join(tmp.dir, 'auto.poi')
    const out = io()
    expect(await importCommand(file, root, { create: true, align: 'auto' }, out)).toBe(EXIT.ok)
    expect(out.stdout).toMatch(
      /faces: 1 aligned, 1 already aligned, 1 no face, 0 several faces, 0 low score \(--align auto\)/
    )
    const p = openProject(file)
    try {
      const { inputSize, channels } = p.settings()
      const scene = getFace(p.db, idOf(p.db, 'happy/scene.png'))!
      expect(scene.status).toBe('aligned')
      expect(scene.outSize).toBe(112)
      expect(scene.landmarks).toHaveLength(68)
      expect(getFace(p.db, idOf(p.db, 'happy/tight.png'))!.status).toBe('already-aligned')
      expect(getFace(p.db, idOf(p.db, 'sad/noise.png'))!.status).toBe('no-face')
      // The cache holds the aligned crop, resized by the importer's own resize.
      const expected = await cachePixels(
        (await alignFace(files['happy/scene.png'], { outSize: 112, mode: 'auto' })).image as never,
        inputSize,
        channels
      )
      expect(u8(readPixels(p.db, [idOf(p.db, 'happy/scene.png')], inputSize, channels))).toEqual(u8(expected))
      // Pass-through: the tight crop is cached from its own pixels.
      const tight = await cachePixels(files['happy/tight.png'] as never, inputSize, channels)
      expect(u8(readPixels(p.db, [idOf(p.db, 'happy/tight.png')], inputSize, channels))).toEqual(u8(tight))

      // Another cache size replays the stored transform (no detection) and shows the same crop.
      const built = await ensurePixelCache(p, 64, 3, { prepareFace: storedFaceStep(p.db) })
      expect(built.built).toBe(3)
      expect(built.failed).toEqual([])
      const at64 = await cachePixels(
        (await alignFace(files['happy/scene.png'], { outSize: 112, mode: 'auto' })).image as never,
        64,
        3
      )
      expect(u8(readPixels(p.db, [idOf(p.db, 'happy/scene.png')], 64, 3))).toEqual(u8(at64))

      // The training engine's cache step (another input size) re-cuts the same aligned crop too.
      expect(await ensureJobCache(p.db, { config: { inputSize: 32, channels: 1 } })).toBe(3)
      const at32 = await cachePixels(
        (await alignFace(files['happy/scene.png'], { outSize: 112, mode: 'auto' })).image as never,
        32,
        1
      )
      expect(u8(readPixels(p.db, [idOf(p.db, 'happy/scene.png')], 32, 1))).toEqual(u8(at32))
    } finally {
      p.close()
    }
  })

  it('never: no detection, no face rows, no summary line; a bad mode is a usage error', async () => {
    const file = join(tmp.dir, 'never.poi')
    const out = io()
    expect(await importCommand(file, root, { create: true, align: 'never' }, out)).toBe(EXIT.ok)
    expect(out.stdout).not.toMatch(/faces:/)
    const p = openProject(file)
    try {
      expect(p.db.prepare('SELECT count(*) FROM faces').pluck().get()).toBe(0)
    } finally {
      p.close()
    }
    const bad = io()
    expect(await importCommand(join(tmp.dir, 'bad.poi'), root, { create: true, align: 'sometimes' }, bad)).toBe(
      EXIT.usage
    )
    expect(bad.stderr).toMatch(/--align must be auto, always or never \(got 'sometimes'\)/)
  })
})
