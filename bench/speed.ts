/**
 * Training and scoring speed (`npm run bench:speed [-- --quick] [--out FILE]`): images/s per backend ×
 * backbone × input size, POI and CE, on random pixels through the real batch path (augmentation +
 * standardisation in JS, tensor upload, train step with every loss term, SGD update) and eval-mode
 * scoring with every POI output read back. wasm runs with 1 and 2 threads (the thread count is fixed per
 * process, so each backend/thread setting runs in its own child process); the pure-JS cpu backend only
 * runs the CPU default, briefly. Frozen face-api backbones report feature extraction and head speed.
 *
 * Every measurement records how much CPU other processes used meanwhile ("others", in cores; this
 * machine is shared), since that moves the numbers. Prints a table; writes bench-results/speed.json.
 */
import { spawnSync } from 'node:child_process'
import { mkdirSync, readFileSync, writeFileSync } from 'node:fs'
import { dirname, join, resolve } from 'node:path'
import { fileURLToPath } from 'node:url'
import { cpus } from 'node:os'

const ROOT = resolve(dirname(fileURLToPath(import.meta.url)), '..')

export interface SpeedCase {
  name: string
  backbone: 'slim' | 'resnet18' | 'faceapi-landmark' | 'faceapi-landmark-14'
  stem?: 'imagenet' | 'stride2' | 'cifar'
  widths?: [number, number, number, number]
  blocks?: [number, number, number, number]
  size: number
  mode: 'poi' | 'ce'
  batch: number
}

export interface SpeedResult extends SpeedCase {
  backend: string
  threads: number | null
  trainImgPerSec: number | null
  scoreImgPerSec: number | null
  /** Frozen backbones: feature extraction (incl. the mirror image) per source image. */
  extractImgPerSec: number | null
  steps: number
  /** Mean CPU use of other processes during the timed part, cores. */
  others: number
  params: number
  error?: string
}

const FAST: Omit<SpeedCase, 'name' | 'mode' | 'size'> = { backbone: 'slim', stem: 'imagenet', widths: [16, 32, 64, 128], blocks: [1, 1, 1, 1], batch: 32 }
const S2: Omit<SpeedCase, 'name' | 'mode' | 'size'> = { ...FAST, stem: 'stride2' }

function cases(quick: boolean): SpeedCase[] {
  const c: SpeedCase[] = [
    { name: 'CPU default: faceapi-landmark 7×7×256 + heads', backbone: 'faceapi-landmark', size: 48, mode: 'poi', batch: 32 },
    { name: 'CPU default: faceapi-landmark 7×7×256 + heads', backbone: 'faceapi-landmark', size: 48, mode: 'ce', batch: 32 },
    { name: 'faceapi-landmark-14 14×14×128 + heads', backbone: 'faceapi-landmark-14', size: 48, mode: 'poi', batch: 32 },
    { name: 'slim fast 16-128 imagenet', ...FAST, size: 48, mode: 'poi' },
    { name: 'slim fast 16-128 imagenet', ...FAST, size: 64, mode: 'poi' },
    { name: 'slim fast 16-128 imagenet b64', ...FAST, size: 64, mode: 'poi', batch: 64 },
    { name: 'slim 16-128 stride2', ...S2, size: 48, mode: 'poi' },
    { name: 'slim 32-256 imagenet', backbone: 'slim', stem: 'imagenet', size: 48, mode: 'poi', batch: 32 },
    { name: 'resnet18 imagenet (GPU default)', backbone: 'resnet18', stem: 'imagenet', size: 48, mode: 'poi', batch: 32 },
    { name: 'resnet18 imagenet (GPU default)', backbone: 'resnet18', stem: 'imagenet', size: 48, mode: 'ce', batch: 32 }
  ]
  if (!quick) {
    c.push({ name: 'slim 32-256 stride2', backbone: 'slim', stem: 'stride2', size: 48, mode: 'poi', batch: 32 })
    c.push({ name: 'slim fast 16-128 imagenet', ...FAST, size: 64, mode: 'ce' })
    c.push({ name: 'resnet18 imagenet (GPU default)', backbone: 'resnet18', stem: 'imagenet', size: 112, mode: 'poi', batch: 32 })
  }
  return c
}

/** Jiffies of the whole machine (busy, total) from /proc/stat; null where there is none. */
function machineCpu(): { busy: number; total: number } | null {
  try {
    const f = readFileSync('/proc/stat', 'utf8').split('\n')[0].trim().split(/\s+/).slice(1).map(Number)
    const idle = f[3] + (f[4] ?? 0)
    const total = f.reduce((a, b) => a + b, 0)
    return { busy: total - idle, total }
  } catch {
    return null
  }
}

/** Measures the CPU others used while `fn` ran, in cores (own CPU from process.cpuUsage subtracted). */
export async function withOthers<T>(fn: () => Promise<T>): Promise<{ value: T; others: number; seconds: number }> {
  const m0 = machineCpu()
  const u0 = process.cpuUsage()
  const t0 = performance.now()
  const value = await fn()
  const seconds = (performance.now() - t0) / 1000
  const u = process.cpuUsage(u0)
  const m1 = machineCpu()
  let others = 0
  if (m0 && m1) {
    const hz = 100
    const busyS = (m1.busy - m0.busy) / hz
    others = Math.max(0, (busyS - (u.user + u.system) / 1e6) / seconds)
  }
  return { value, others, seconds }
}

async function child(spec: { backend: string; threads: number; cases: SpeedCase[]; budgetS: number }): Promise<SpeedResult[]> {
  const { initCompute } = await import('../src-main/core/compute/backend')
  const { tf } = await import('../src-main/core/compute/tf')
  const { createPoiModel, createSgd, trainStep, disposeOutputs, identityFeatures } = await import('../src-main/core/model/index')
  const { augmentInto, drawAugment, standardize } = await import('../src-main/core/train/augment')
  const { resolveTrainConfig, isFrozenBackbone } = await import('../src-main/core/train/config')
  const { modelConfigFor } = await import('../src-main/core/train/model-config')
  const { frozenExtractor } = await import('../src-main/core/faceapi/index')
  const { toPredictions } = await import('../src-main/core/score/predict')
  const { Rng } = await import('../src-main/core/synth/rng')
  const { FROZEN_BACKBONES } = await import('../src-main/core/train/config')
  const info = await initCompute({ backend: spec.backend as 'wasm', threads: spec.threads })
  const out: SpeedResult[] = []
  const classes = ['neutral', 'happiness', 'surprise', 'sadness', 'anger', 'disgust', 'fear'] as const
  for (const c of spec.cases) {
    const base: SpeedResult = { ...c, backend: info.backend, threads: info.threads, trainImgPerSec: null, scoreImgPerSec: null, extractImgPerSec: null, steps: 0, others: 0, params: 0 }
    try {
      const cfg = resolveTrainConfig({ backbone: c.backbone, stem: c.stem, widths: c.widths, blocks: c.blocks, mode: c.mode, batchSize: c.batch, inputSize: c.size }, { inputSize: c.size, channels: 1 })
      const mc = modelConfigFor(cfg, [...classes])
      const model = createPoiModel(mc, isFrozenBackbone(cfg.backbone) ? { frozenExtractor: identityFeatures } : {})
      base.params = model.paramCounts().trainable
      const rng = new Rng(1)
      const side = c.size
      const pool = Uint8Array.from({ length: 256 * side * side }, () => rng.int(256))
      const [h, w, ch] = [mc.input.height, mc.input.width, mc.input.channels]
      const per = h * w * ch
      let features: Float32Array | null = null
      if (isFrozenBackbone(cfg.backbone)) {
        const fx = await frozenExtractor(FROZEN_BACKBONES[cfg.backbone].extractor)
        const n = 64
        const r = await withOthers(async () => {
          for (let s = 0; s < n; s += 32) {
            const m = tf.tidy(() => fx.extract(tf.tile(tf.tensor4d(Float32Array.from(pool.subarray(s * side * side, (s + 32) * side * side)), [32, side, side, 1]), [1, 1, 1, 3]) as Parameters<typeof fx.extract>[0]))
            features = features ?? new Float32Array(256 * per)
            features.set(m.dataSync().subarray(0, Math.min(32, 256 - s) * per), s * per)
            m.dispose()
          }
        })
        // Extraction runs twice per image (the mirror image too, for flip augmentation).
        base.extractImgPerSec = n / r.seconds / 2
        for (let s = 64; s < 256; s += 64) features!.copyWithin(s * per, 0, 64 * per)
      }
      const batchOf = (k: number, n: number): Float32Array => {
        if (features) return features.slice(((k * n) % 192) * per, (((k * n) % 192) + n) * per)
        const o = new Float32Array(n * per)
        for (let j = 0; j < n; j++) {
          const src = pool.subarray(((k * n + j) % 256) * per, (((k * n + j) % 256) + 1) * per)
          augmentInto(src, side, 1, drawAugment(rng, cfg.augment, side, 1), o, j * per)
          standardize(o, j * per, per)
        }
        return o
      }
      const opt = createSgd(model.config.optimizer, 0.01)
      const y = tf.tensor1d(Array.from({ length: c.batch }, (_, i) => i % classes.length), 'int32')
      const step = (k: number): void => {
        const x = tf.tensor4d(batchOf(k, c.batch), [c.batch, h, w, ch])
        trainStep(model, { x, y }, opt)
        x.dispose()
      }
      const warm = spec.backend === 'cpu' ? 1 : 2
      for (let k = 0; k < warm; k++) step(k)
      let steps = 0
      const t = await withOthers(async () => {
        const t0 = performance.now()
        while (steps < 3 || (performance.now() - t0) / 1000 < spec.budgetS) {
          step(warm + steps)
          steps++
          if (steps >= 30) break
        }
      })
      base.steps = steps
      base.trainImgPerSec = (steps * c.batch) / t.seconds
      base.others = t.others
      const sb = 64
      const xs = tf.tensor4d(batchOf(0, sb), [sb, h, w, ch])
      disposeOutputs(model.forward(xs))
      let sn = 0
      const s = await withOthers(async () => {
        const t0 = performance.now()
        while (sn < 2 || (performance.now() - t0) / 1000 < spec.budgetS / 2) {
          const o = model.forward(xs)
          await toPredictions(o, Array.from({ length: sb }, (_, i) => i), null)
          disposeOutputs(o)
          sn++
          if (sn >= 20) break
        }
      })
      base.scoreImgPerSec = (sn * sb) / s.seconds
      base.others = (base.others + s.others) / 2
      tf.dispose([xs, y])
      opt.dispose()
      model.dispose()
    } catch (e) {
      base.error = (e as Error).message
    }
    out.push(base)
    process.stderr.write(`  ${base.backend}×${base.threads} ${c.name} @${c.size} ${c.mode}: train ${base.trainImgPerSec?.toFixed(1) ?? '–'} img/s, score ${base.scoreImgPerSec?.toFixed(0) ?? '–'} img/s${base.error ? ` (${base.error})` : ''}\n`)
  }
  return out
}

function fmt(v: number | null, d = 1): string {
  return v == null ? '–' : v.toFixed(d)
}

async function main(): Promise<void> {
  const argv = process.argv.slice(2)
  const ci = argv.indexOf('--child')
  if (ci >= 0) {
    const res = await child(JSON.parse(argv[ci + 1]))
    process.stdout.write('@@RESULT ' + JSON.stringify(res) + '\n')
    return
  }
  const quick = argv.includes('--quick')
  const oi = argv.indexOf('--out')
  const outFile = resolve(oi >= 0 ? argv[oi + 1] : join(ROOT, 'bench-results', 'speed.json'))
  const all = cases(quick)
  const two = all.filter((c) => c.mode === 'poi' && c.size === 48 && (c.name.startsWith('CPU default') || c.backbone === 'resnet18' || c.name === 'slim fast 16-128 imagenet'))
  const runs: { backend: string; threads: number; cases: SpeedCase[]; budgetS: number }[] = [
    { backend: 'wasm', threads: 1, cases: all, budgetS: quick ? 6 : 15 },
    { backend: 'wasm', threads: 2, cases: two, budgetS: quick ? 6 : 15 },
    // The pure-JS backend is 10–200× slower: one small measurement of the CPU default and the fast slim.
    { backend: 'cpu', threads: 1, cases: two.filter((c) => c.backbone !== 'resnet18').map((c) => ({ ...c, batch: 8 })), budgetS: 1 }
  ]
  const results: SpeedResult[] = []
  process.stderr.write(`bench:speed on ${cpus().length} CPU(s) (${cpus()[0]?.model ?? '?'}), node ${process.version}\n`)
  for (const r of runs) {
    const p = spawnSync(process.execPath, [...process.execArgv, fileURLToPath(import.meta.url), '--child', JSON.stringify(r)], {
      cwd: ROOT,
      encoding: 'utf8',
      stdio: ['ignore', 'pipe', 'inherit'],
      maxBuffer: 64 * 2 ** 20
    })
    const line = p.stdout.split('\n').find((l) => l.startsWith('@@RESULT '))
    if (!line) {
      process.stderr.write(`  ${r.backend}×${r.threads}: child failed (exit ${p.status})\n`)
      continue
    }
    results.push(...(JSON.parse(line.slice(9)) as SpeedResult[]))
  }
  const rows = [['backend', 'threads', 'model', 'input', 'mode', 'batch', 'train img/s', 'score img/s', 'extract img/s', 'params', 'others (cores)']]
  for (const r of results) {
    rows.push([r.backend, String(r.threads ?? '–'), r.name, `${r.size}×${r.size}×1`, r.mode, String(r.batch), fmt(r.trainImgPerSec), fmt(r.scoreImgPerSec, 0), fmt(r.extractImgPerSec), String(r.params), fmt(r.others, 2) + (r.error ? ` ERROR ${r.error}` : '')])
  }
  const widths = rows[0].map((_, i) => Math.max(...rows.map((r) => r[i].length)))
  process.stdout.write(rows.map((r) => r.map((c, i) => c.padEnd(widths[i])).join('  ')).join('\n') + '\n')
  mkdirSync(dirname(outFile), { recursive: true })
  writeFileSync(outFile, JSON.stringify({ bench: 'speed', at: new Date().toISOString(), machine: { cpus: cpus().length, model: cpus()[0]?.model ?? null, node: process.version }, quick, results }, null, 2) + '\n')
  process.stdout.write(`wrote ${outFile}\n`)
}

if (process.argv[1] && resolve(process.argv[1]) === fileURLToPath(import.meta.url)) {
  main().catch((e: unknown) => {
    process.stderr.write(`bench:speed: ${(e as Error).stack ?? e}\n`)
    process.exit(1)
  })
}
