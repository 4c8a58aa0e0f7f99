/**
 * Face alignment benchmark (`npm run bench:align [-- --data DIR --fer-sample N --compare-detectors]`).
 *
 * On ../shared/data/jaffe (213 uncropped 256×256 TIFFs): aligns every image, re-runs detection + landmarks
 * on each output crop and reports the eye-line angle (target ±3°) and the inter-eye distance error against
 * the canonical frame (target ±5 %), throughput and total time (target ≤ 60 s), and the statuses.
 * On CK+48 (all) and a FER2013 sample: the share recognised as already aligned in 'auto' mode, and the
 * eye geometry the landmark net finds on those crops (the measurement behind CANONICAL_FRAME).
 * With --compare-detectors: tiny_face_detector vs ssd_mobilenetv1 on JAFFE (found, time, alignment error).
 * Writes bench-results/align.json. Reads the data sets only from --data; says so and exits 2 when missing.
 */
import { parseArgs } from 'node:util'
import sharp from 'sharp'
import { existsSync, mkdirSync, readFileSync, writeFileSync } from 'node:fs'
import { dirname, join, resolve } from 'node:path'
import { fileURLToPath, pathToFileURL } from 'node:url'
import { alignFace, CANONICAL_FRAME, type AlignOptions, type AlignResult } from '../src-main/core/align/align'
import { angleDeg, distance, keyPoints } from '../src-main/core/align/geometry'
import { landmarksInBox, toRgbTensor } from '../src-main/core/align/landmarks'
import type { RawImage } from '../src-main/core/align/warp'
import { detectorNet, ensureTfBackend, landmarkNet, tf } from '../src-main/core/faceapi/index'

const ROOT = resolve(dirname(fileURLToPath(import.meta.url)), '..')

/** Decodes an image file the way the bench needs it: palette/gray files whose 3 channels are equal become 1 channel. */
export async function loadImage(file: string): Promise<RawImage> {
  const { data, info } = await sharp(file).raw().toBuffer({ resolveWithObject: true })
  const img: RawImage = {
    data: new Uint8Array(data.buffer, data.byteOffset, data.byteLength),
    width: info.width,
    height: info.height,
    channels: info.channels
  }
  if (img.channels === 3) {
    let gray = true
    for (let i = 0; i < img.data.length && gray; i += 3)
      gray = img.data[i] === img.data[i + 1] && img.data[i] === img.data[i + 2]
    if (gray) {
      const g = new Uint8Array(img.width * img.height)
      for (let i = 0; i < g.length; i++) g[i] = img.data[i * 3]
      return { data: g, width: img.width, height: img.height, channels: 1 }
    }
  }
  return img
}

/** Relative paths (first CSV column) of a data set's labels.csv. */
export function listImages(dataDir: string, set: string): string[] {
  const csv = join(dataDir, set, 'labels.csv')
  return readFileSync(csv, 'utf8')
    .trim()
    .split(/\r?\n/)
    .slice(1)
    .map((l) => l.split(',')[0])
}

/** The data folder: --data DIR, else ../shared/data next to the repository. */
export function dataDirOf(data: string | undefined): string {
  return resolve(data ?? join(ROOT, '..', 'shared', 'data'))
}

/** Eye geometry of a crop as the landmark net sees it after a fresh detection on it. */
export interface CropCheck {
  found: boolean
  angleDeg: number | null
  /** (measured inter-eye distance / canonical) − 1. */
  eyeDistanceError: number | null
  /** Eye midpoint minus canonical position, as a fraction of the crop side. */
  midDx: number | null
  midDy: number | null
}

export async function checkCrop(crop: RawImage, opts: AlignOptions): Promise<CropCheck> {
  const r = await alignFace(crop, { ...opts, mode: 'always', margin: 0 })
  if (!r.landmarks) return { found: false, angleDeg: null, eyeDistanceError: null, midDx: null, midDy: null }
  const k = keyPoints(r.landmarks)
  const S = crop.width
  const mid = { x: (k.leftEye.x + k.rightEye.x) / 2, y: (k.leftEye.y + k.rightEye.y) / 2 }
  return {
    found: true,
    angleDeg: angleDeg(k.leftEye, k.rightEye),
    eyeDistanceError: distance(k.leftEye, k.rightEye) / (CANONICAL_FRAME.eyeDistance * S) - 1,
    midDx: mid.x / S - 0.5,
    midDy: mid.y / S - CANONICAL_FRAME.eyeY
  }
}

/** 1-minute load average (other jobs competing for the 2 cores make wall times unreliable). */
function loadAvg(): number {
  try {
    return Number(readFileSync('/proc/loadavg', 'utf8').split(' ')[0])
  } catch {
    return NaN
  }
}

const quant = (a: number[], p: number) => {
  if (!a.length) return NaN
  const s = [...a].sort((x, y) => x - y)
  return s[Math.min(s.length - 1, Math.max(0, Math.round(p * (s.length - 1))))]
}
const summary = (a: number[]) => ({
  n: a.length,
  min: quant(a, 0),
  p5: quant(a, 0.05),
  median: quant(a, 0.5),
  p95: quant(a, 0.95),
  max: quant(a, 1)
})
const r3 = (v: number | null) => (v === null ? null : Math.round(v * 1000) / 1000)

interface JaffeRow {
  file: string
  status: AlignResult['status']
  detScore: number | null
  facesFound: number
  ms: number
  check: CropCheck | null
}

async function benchJaffe(dataDir: string, opts: AlignOptions) {
  const files = listImages(dataDir, 'jaffe')
  const images: RawImage[] = []
  for (const f of files) images.push(await loadImage(join(dataDir, 'jaffe', f)))
  await alignFace(images[0], opts) // warm-up: weights, wasm kernels
  const rows: JaffeRow[] = []
  const crops: RawImage[] = []
  const load0 = loadAvg()
  const cpu0 = process.cpuUsage()
  const t0 = performance.now()
  for (let i = 0; i < images.length; i++) {
    const s = performance.now()
    const r = await alignFace(images[i], opts)
    rows.push({
      file: files[i],
      status: r.status,
      detScore: r.detScore,
      facesFound: r.facesFound,
      ms: performance.now() - s,
      check: null
    })
    crops.push(r.image)
  }
  const alignSeconds = (performance.now() - t0) / 1000
  const cpu = process.cpuUsage(cpu0)
  // CPU time of this process: robust to other jobs on the machine, unlike wall time.
  const alignCpuSeconds = (cpu.user + cpu.system) / 1e6
  const load1 = loadAvg()
  for (let i = 0; i < rows.length; i++)
    if (rows[i].status !== 'no-face') rows[i].check = await checkCrop(crops[i], opts)
  const totalSeconds = (performance.now() - t0) / 1000
  const checks = rows.map((r) => r.check).filter((c): c is CropCheck => !!c && c.found)
  const angles = checks.map((c) => c.angleDeg as number)
  const dErr = checks.map((c) => c.eyeDistanceError as number)
  const statuses: Record<string, number> = {}
  for (const r of rows) statuses[r.status] = (statuses[r.status] ?? 0) + 1
  const gray = images.filter((i) => i.channels === 1).length
  return {
    images: rows.length,
    grayImages: gray,
    statuses,
    alignSeconds,
    alignCpuSeconds,
    imagesPerCpuSecond: rows.length / alignCpuSeconds,
    loadAverageBeforeAfter: [load0, load1],
    totalSecondsWithRecheck: totalSeconds,
    imagesPerSecond: rows.length / alignSeconds,
    msPerImage: summary(rows.map((r) => r.ms)),
    recheckFound: checks.length,
    angleDeg: summary(angles),
    absAngleWithin3: angles.filter((a) => Math.abs(a) <= 3).length,
    eyeDistanceError: summary(dErr),
    eyeDistanceWithin5pct: dErr.filter((e) => Math.abs(e) <= 0.05).length,
    eyeMidDx: summary(checks.map((c) => c.midDx as number)),
    eyeMidDy: summary(checks.map((c) => c.midDy as number)),
    worst: rows
      .filter((r) => r.check?.found)
      .sort(
        (a, b) =>
          Math.abs(b.check!.angleDeg!) +
          20 * Math.abs(b.check!.eyeDistanceError!) -
          (Math.abs(a.check!.angleDeg!) + 20 * Math.abs(a.check!.eyeDistanceError!))
      )
      .slice(0, 8)
      .map((r) => ({
        file: r.file,
        status: r.status,
        angleDeg: r3(r.check!.angleDeg),
        eyeDistanceError: r3(r.check!.eyeDistanceError)
      })),
    perImage: rows.map((r) => ({
      file: r.file,
      status: r.status,
      detScore: r3(r.detScore),
      facesFound: r.facesFound,
      ms: Math.round(r.ms),
      angleDeg: r3(r.check?.angleDeg ?? null),
      eyeDistanceError: r3(r.check?.eyeDistanceError ?? null)
    }))
  }
}

async function benchAuto(dataDir: string, set: string, sample: number, opts: AlignOptions) {
  const all = listImages(dataDir, set)
  const step = Math.max(1, Math.floor(all.length / sample))
  const files = all.filter((_, i) => i % step === 0).slice(0, sample)
  const statuses: Record<string, number> = {}
  const eyeY: number[] = []
  const eyeD: number[] = []
  let detected = 0
  const t0 = performance.now()
  for (const f of files) {
    const img = await loadImage(join(dataDir, set, f))
    const r = await alignFace(img, { ...opts, mode: 'auto' })
    statuses[r.status] = (statuses[r.status] ?? 0) + 1
    if (r.detScore !== null) detected++
    // The eye geometry of the crop as a whole (box = the full frame), as used for CANONICAL_FRAME.
    const t = toRgbTensor(img)
    const lm = await landmarksInBox(t, { x: 0, y: 0, width: img.width, height: img.height })
    t.dispose()
    const k = keyPoints(lm)
    eyeY.push((k.leftEye.y + k.rightEye.y) / 2 / img.height)
    eyeD.push(distance(k.leftEye, k.rightEye) / img.width)
  }
  const seconds = (performance.now() - t0) / 1000
  return {
    images: files.length,
    statuses,
    alreadyAlignedShare: (statuses['already-aligned'] ?? 0) / files.length,
    faceDetectedShare: detected / files.length,
    seconds,
    fullFrameEyeY: summary(eyeY),
    fullFrameEyeDistance: summary(eyeD)
  }
}

async function compareDetectors(dataDir: string) {
  const files = listImages(dataDir, 'jaffe')
  const out: Record<string, unknown> = {}
  for (const detector of ['tiny_face_detector', 'ssd_mobilenetv1'] as const) {
    const r = await benchJaffe(dataDir, { detector })
    out[detector] = {
      images: files.length,
      statuses: r.statuses,
      imagesPerSecond: r.imagesPerSecond,
      alignSeconds: r.alignSeconds,
      imagesPerCpuSecond: r.imagesPerCpuSecond,
      loadAverageBeforeAfter: r.loadAverageBeforeAfter,
      absAngleWithin3: r.absAngleWithin3,
      eyeDistanceWithin5pct: r.eyeDistanceWithin5pct,
      angleDeg: r.angleDeg,
      eyeDistanceError: r.eyeDistanceError
    }
    console.log(
      `${detector}: ${JSON.stringify(r.statuses)} ${r.imagesPerSecond.toFixed(1)} img/s (${r.imagesPerCpuSecond.toFixed(1)} img/CPU-s), angle ≤3°: ${r.absAngleWithin3}/${r.recheckFound}, eye distance ≤5%: ${r.eyeDistanceWithin5pct}/${r.recheckFound}`
    )
  }
  return out
}

async function main(): Promise<void> {
  // node:util parseArgs: an unknown option or a missing value is an error.
  const { values: o } = parseArgs({
    options: {
      data: { type: 'string' },
      'fer-sample': { type: 'string' },
      'ck-sample': { type: 'string' },
      'compare-detectors': { type: 'boolean' },
      'jaffe-only': { type: 'boolean' }
    },
    strict: true
  })
  const dataDir = dataDirOf(o.data)
  const ferSample = Number(o['fer-sample'] ?? 2000)
  const ckSample = Number(o['ck-sample'] ?? 100000)
  if (!existsSync(join(dataDir, 'jaffe', 'labels.csv'))) {
    console.error(
      `bench:align: data not found at ${dataDir} (expected jaffe/, ckplus48/, fer2013/ with labels.csv); pass --data DIR`
    )
    process.exit(2)
  }
  const backend = await ensureTfBackend()
  // Build every net first: their weights live for the process and are not a leak.
  await Promise.all([
    detectorNet('tiny_face_detector', 160),
    detectorNet('tiny_face_detector', 224),
    detectorNet('tiny_face_detector', 416),
    landmarkNet()
  ])
  if (o['compare-detectors']) await detectorNet('ssd_mobilenetv1')
  const tensors0 = tf.memory().numTensors
  const opts: AlignOptions = { outSize: 112 }
  const t0 = performance.now()
  const jaffe = await benchJaffe(dataDir, opts)
  console.log(
    `JAFFE: ${jaffe.images} images (${jaffe.grayImages} palette-gray), statuses ${JSON.stringify(jaffe.statuses)}`
  )
  console.log(
    `  align: ${jaffe.alignSeconds.toFixed(1)} s wall, ${jaffe.imagesPerSecond.toFixed(1)} img/s at 256×256 (CPU ${jaffe.alignCpuSeconds.toFixed(1)} s = ${jaffe.imagesPerCpuSecond.toFixed(1)} img/CPU-s; load average ${jaffe.loadAverageBeforeAfter.join(' → ')}); with re-check ${jaffe.totalSecondsWithRecheck.toFixed(1)} s (target ≤ 60 s)`
  )
  console.log(
    `  re-check found a face in ${jaffe.recheckFound} crops; |angle| ≤ 3°: ${jaffe.absAngleWithin3}, |eye distance error| ≤ 5 %: ${jaffe.eyeDistanceWithin5pct}`
  )
  console.log(
    `  angle (deg)      min ${jaffe.angleDeg.min.toFixed(2)}  p5 ${jaffe.angleDeg.p5.toFixed(2)}  median ${jaffe.angleDeg.median.toFixed(2)}  p95 ${jaffe.angleDeg.p95.toFixed(2)}  max ${jaffe.angleDeg.max.toFixed(2)}`
  )
  const e = jaffe.eyeDistanceError
  console.log(
    `  eye dist error   min ${(e.min * 100).toFixed(1)}%  p5 ${(e.p5 * 100).toFixed(1)}%  median ${(e.median * 100).toFixed(1)}%  p95 ${(e.p95 * 100).toFixed(1)}%  max ${(e.max * 100).toFixed(1)}%`
  )
  const detectors = o['compare-detectors'] ? await compareDetectors(dataDir) : null
  let ck: Awaited<ReturnType<typeof benchAuto>> | null = null
  let fer: Awaited<ReturnType<typeof benchAuto>> | null = null
  if (!o['jaffe-only']) {
    ck = await benchAuto(dataDir, 'ckplus48', ckSample, opts)
    console.log(
      `CK+48 auto: ${ck.images} images, already-aligned ${(ck.alreadyAlignedShare * 100).toFixed(1)} %, ${JSON.stringify(ck.statuses)}, ${ck.seconds.toFixed(1)} s`
    )
    fer = await benchAuto(dataDir, 'fer2013', ferSample, opts)
    console.log(
      `FER2013 auto (sample ${fer.images}): already-aligned ${(fer.alreadyAlignedShare * 100).toFixed(1)} %, ${JSON.stringify(fer.statuses)}, ${fer.seconds.toFixed(1)} s`
    )
    console.log(
      `  full-frame eye height median CK+48 ${ck.fullFrameEyeY.median.toFixed(3)}, FER2013 ${fer.fullFrameEyeY.median.toFixed(3)}; eye distance ${ck.fullFrameEyeDistance.median.toFixed(3)}, ${fer.fullFrameEyeDistance.median.toFixed(3)} (canonical ${CANONICAL_FRAME.eyeY}, ${CANONICAL_FRAME.eyeDistance})`
    )
  }
  const leaked = tf.memory().numTensors - tensors0
  const file = o['jaffe-only'] ? 'align-jaffe.json' : 'align.json'
  const result = {
    format: 'poi-audit.bench.align',
    version: 1,
    at: new Date().toISOString(),
    backend,
    node: process.version,
    options: opts,
    canonicalFrame: CANONICAL_FRAME,
    totalSeconds: (performance.now() - t0) / 1000,
    jaffe,
    ckplus48: ck,
    fer2013: fer,
    detectors,
    tensorsAfterMinusBefore: leaked
  }
  mkdirSync(join(ROOT, 'bench-results'), { recursive: true })
  writeFileSync(join(ROOT, 'bench-results', file), JSON.stringify(result, null, 1))
  console.log(`wrote bench-results/${file} (tensor count change over the run: ${leaked}, must be 0)`)
}

if (process.argv[1] && import.meta.url === pathToFileURL(resolve(process.argv[1])).href) {
  main().catch((e) => {
    console.error(e)
    process.exit(1)
  })
}
