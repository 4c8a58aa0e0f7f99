/**
 * Writes bench-results/jaffe-contact-sheet.png: every JAFFE image aligned (auto mode, 112×112), in a grid,
 * with the canonical eye line and eye positions drawn as guides (eyes should sit on the cyan ticks) and
 * non-'aligned' statuses written on the tile. For looking at, never for committing (licence: JAFFE may
 * not be redistributed; bench-results/ is git-ignored).
 *
 *   npx tsx scripts/contact-sheet.ts [--data DIR] [--cols 16] [--out FILE]
 */
import { parseArgs } from 'node:util'
import sharp from 'sharp'
import { existsSync, mkdirSync } from 'node:fs'
import { dirname, join, resolve } from 'node:path'
import { fileURLToPath } from 'node:url'
import { dataDirOf, listImages, loadImage } from '../bench/align'
import { alignFace, CANONICAL_FRAME } from '../src-main/core/align/align'
import { convertChannels } from '../src-main/core/align/warp'

const ROOT = resolve(dirname(fileURLToPath(import.meta.url)), '..')

async function main(): Promise<void> {
  const { values: o } = parseArgs({
    options: { data: { type: 'string' }, cols: { type: 'string' }, out: { type: 'string' } },
    strict: true
  })
  const dataDir = dataDirOf(o.data)
  const cols = Number(o.cols ?? 16)
  const out = resolve(o.out ?? join(ROOT, 'bench-results', 'jaffe-contact-sheet.png'))
  if (!existsSync(join(dataDir, 'jaffe', 'labels.csv'))) {
    console.error(`contact-sheet: JAFFE not found at ${join(dataDir, 'jaffe')}; pass --data DIR`)
    process.exit(2)
  }
  const S = 112
  const gap = 2
  const files = listImages(dataDir, 'jaffe')
  const rows = Math.ceil(files.length / cols)
  const W = cols * (S + gap)
  const H = rows * (S + gap)
  const sheet = new Uint8Array(W * H * 3).fill(40)
  const labels: string[] = []
  for (let i = 0; i < files.length; i++) {
    const r = await alignFace(await loadImage(join(dataDir, 'jaffe', files[i])), { outSize: S, mode: 'auto' })
    let img = convertChannels(r.image, 3)
    if (img.width !== S || img.height !== S) {
      // Pass-through (already-aligned / no-face): show it resized so it still fits its tile.
      const buf = await sharp(Buffer.from(img.data), { raw: { width: img.width, height: img.height, channels: 3 } })
        .resize(S, S)
        .raw()
        .toBuffer()
      img = { data: new Uint8Array(buf), width: S, height: S, channels: 3 }
    }
    const ox = (i % cols) * (S + gap)
    const oy = Math.floor(i / cols) * (S + gap)
    for (let y = 0; y < S; y++) sheet.set(img.data.subarray(y * S * 3, (y + 1) * S * 3), ((oy + y) * W + ox) * 3)
    const ey = oy + CANONICAL_FRAME.eyeY * S
    const ex0 = ox + S / 2 - (CANONICAL_FRAME.eyeDistance * S) / 2
    const ex1 = ox + S / 2 + (CANONICAL_FRAME.eyeDistance * S) / 2
    labels.push(
      `<line x1="${ox}" y1="${ey}" x2="${ox + 6}" y2="${ey}" stroke="cyan"/><line x1="${ox + S - 6}" y1="${ey}" x2="${ox + S}" y2="${ey}" stroke="cyan"/>`
    )
    labels.push(
      `<line x1="${ex0}" y1="${ey - 3}" x2="${ex0}" y2="${ey + 3}" stroke="cyan"/><line x1="${ex1}" y1="${ey - 3}" x2="${ex1}" y2="${ey + 3}" stroke="cyan"/>`
    )
    if (r.status !== 'aligned')
      labels.push(
        `<text x="${ox + 3}" y="${oy + S - 4}" font-size="11" font-family="sans-serif" fill="yellow">${r.status}</text>`
      )
    if ((i + 1) % 50 === 0) console.log(`${i + 1}/${files.length}`)
  }
  const svg = Buffer.from(`<svg xmlns="http://www.w3.org/2000/svg" width="${W}" height="${H}">${labels.join('')}</svg>`)
  mkdirSync(dirname(out), { recursive: true })
  await sharp(Buffer.from(sheet), { raw: { width: W, height: H, channels: 3 } })
    .composite([{ input: svg, top: 0, left: 0 }])
    .png()
    .toFile(out)
  console.log(`wrote ${out} (${files.length} crops, ${cols}×${rows})`)
}

main().catch((e) => {
  console.error(e)
  process.exit(1)
})
