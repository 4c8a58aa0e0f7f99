/**
 * Learning-queue re-rank time on a project-sized queue (`npm run bench:rerank [-- options]`), issue
 * 17's target: "re-rank after 50 decisions in ≤ 10 s on a 35k-image project, review latency unchanged
 * meanwhile".
 *
 * It builds a project file with N images (default 35,887: FER2013's size) and an audit over them, then
 * drives it through the app API exactly as `poi-audit serve` does (createApi): 50 curator decisions
 * (review.decide with the Review page's "next"), the 50th of which starts the background re-rank
 * (worker thread: read + fit + re-rank; then the order is stored on the API's connection). While it
 * runs, review calls keep coming (images.queue first page + review.decide), timed, against the same
 * calls before it. Then a few on-demand re-ranks (queue.rerank wait) for the spread.
 *
 * The audit: FER2013 needs a POI k-fold run first (≈ 40 min per 5,000 images here; none is cached),
 * so by default the audit items are SYNTHETIC feature vectors of the same count — per image a given
 * class, a score, TRN/OIM self-confidence and margins, UEM confidence, a suggestion, drawn so that
 * 20 % of labels are wrong (class 3 noisier than the score knows). The output says which it used.
 * The re-rank reads nothing but these rows, so its cost is the same for real audit rows of this count.
 *
 *   --n N            images (default 35887)    --every N   decisions per re-rank (default 50)
 *   --rounds N       re-ranks, each after `every` more decisions (default 4)
 *   --out FILE       (default bench-results/rerank.json)
 */
import { existsSync, mkdirSync, rmSync, writeFileSync } from 'node:fs'
import { cpus, loadavg } from 'node:os'
import { dirname, join, resolve } from 'node:path'
import { fileURLToPath } from 'node:url'
import { parseArgs } from 'node:util'
import { createApi, type Api } from '../src-main/core/api/handlers'
import type { ApiResult, LearningQueueState, QueuePage, RerankRecordView } from '../src-main/core/api/contract'
import { createProject } from '../src-main/core/project'
import { ensureClasses, setMeta } from '../src-main/core/store/meta'
import { SEVEN_CLASSES } from '../src-main/core/classes'
import { Rng } from '../src-main/core/util/rng'
import { ROOT } from './noisy'

function value<T>(r: ApiResult<unknown>): T {
  if (!r.ok) throw new Error(`${r.code}: ${r.message}`)
  return r.value as T
}

/** A project file with n images and one audit of synthetic per-image signals; returns which labels are wrong. */
function buildProject(file: string, n: number, seed: number): Set<number> {
  const p = createProject(file)
  const wrong = new Set<number>()
  try {
    const db = p.db
    ensureClasses(db, SEVEN_CLASSES)
    setMeta(db, 'name', `bench:rerank synthetic ${n}`)
    const C = SEVEN_CLASSES.length
    const rng = new Rng(seed)
    const now = new Date().toISOString()
    db.transaction(() => {
      db.prepare('INSERT INTO datasets (id, root, added_at) VALUES (1, ?, ?)').run(dirname(file), now)
      db.prepare(
        "INSERT INTO imports (id, dataset_id, format, source, started_at, finished_at, report) VALUES (1, 1, 'folder', ?, ?, ?, '{}')"
      ).run(dirname(file), now, now)
      db.prepare(
        "INSERT INTO audits (id, run_id, method, created_at, config, summary) VALUES (1, NULL, 'poi', ?, '{}', '{}')"
      ).run(now)
      const img = db.prepare(
        "INSERT INTO images (id, dataset_id, rel_path, sha256, byte_size, format, width, height, channels, split, decode_status, import_id) VALUES (?, 1, ?, ?, 2000, 'png', 48, 48, 1, 'train', 'ok', 1)"
      )
      const ann = db.prepare(
        "INSERT INTO annotations (image_id, original_label, current_label, state, original_state, updated_at) VALUES (?, ?, ?, 'labeled', 'labeled', ?)"
      )
      const item = db.prepare(
        'INSERT INTO audit_items (audit_id, image_id, given_label, score, rank, suggested_label, strength, flags, signals) VALUES (1, ?, ?, ?, ?, ?, ?, 0, ?)'
      )
      const rows = Array.from({ length: n }, (_, k) => {
        const i = k + 1
        const given = rng.int(C)
        const w = rng.chance(given === 3 ? 0.4 : 0.17)
        if (w) wrong.add(i)
        const z = (w ? 1.2 : 0) + 1.1 * rng.normal()
        const score = 1 / (1 + Math.exp(z))
        const suggested = w ? (given + 1 + rng.int(C - 1)) % C : rng.chance(0.3) ? (given + 1) % C : null
        const signals = {
          trnSelfConfidence: score,
          oimSelfConfidence: Math.min(1, score * (0.8 + 0.4 * rng.next())),
          trnMargin: 1 - 2 * score,
          oimMargin: 1 - 2 * score + 0.1 * rng.normal(),
          uemConfidence: rng.next(),
          softEntropy: rng.next(),
          regionConflict: rng.chance(0.1) ? 1 : 0
        }
        return { i, given, score, suggested, signals }
      })
      // Ranks follow the score (1 = most suspicious), as the audit engine stores them.
      const rank = new Map([...rows].sort((x, y) => x.score - y.score || x.i - y.i).map((r, k) => [r.i, k + 1]))
      for (const r of rows) {
        img.run(r.i, `imgs/${r.i}.png`, `sha-${r.i}`)
        ann.run(r.i, r.given, r.given, now)
        item.run(
          r.i,
          r.given,
          r.score,
          rank.get(r.i),
          r.suggested,
          r.suggested == null ? null : 1 - r.score,
          JSON.stringify(r.signals)
        )
      }
    })()
  } finally {
    p.close()
  }
  return wrong
}

const pct = (xs: number[], q: number): number => {
  if (!xs.length) return NaN
  const s = [...xs].sort((a, b) => a - b)
  return s[Math.min(s.length - 1, Math.floor(q * s.length))]
}
const summary = (xs: number[]): { n: number; p50: number; p95: number; max: number } => ({
  n: xs.length,
  p50: +pct(xs, 0.5).toFixed(2),
  p95: +pct(xs, 0.95).toFixed(2),
  max: +Math.max(...xs).toFixed(2)
})

interface Curator {
  /**
   * One review step as the Review page makes it: decide with "next", then (every 10th) a queue page. Returns ms
   * per call.
   */
  step(): Promise<{ decide: number; queue: number | null }>
}

function curator(api: Api, order: number[], wrong: Set<number>): Curator {
  let k = 0
  return {
    async step() {
      const id = order[k++]
      const decision = wrong.has(id) ? { kind: 'relabel', label: 0 } : { kind: 'keep' }
      const t0 = performance.now()
      value(await api.dispatch('review.decide', { imageId: id, decision, next: { filter: { review: 'unreviewed' } } }))
      const decide = performance.now() - t0
      let queue: number | null = null
      if (k % 10 === 0) {
        const t1 = performance.now()
        value(await api.dispatch('images.queue', { filter: { review: 'unreviewed' }, limit: 120, withTotal: true }))
        queue = performance.now() - t1
      }
      return { decide, queue }
    }
  }
}

async function main(): Promise<void> {
  const { values: a } = parseArgs({
    options: {
      n: { type: 'string', default: '35887' },
      every: { type: 'string', default: '50' },
      rounds: { type: 'string', default: '4' },
      out: { type: 'string', default: join(ROOT, 'bench-results', 'rerank.json') }
    }
  })
  // The built worker bundle, as `poi-audit serve` and the app start it (from source, every re-rank
  // would also pay for tsx transpiling the worker's imports).
  const built = join(ROOT, 'out', 'main', 'rerank-worker.js')
  if (!process.env.POI_RERANK_WORKER && existsSync(built)) process.env.POI_RERANK_WORKER = built
  const workerFrom = process.env.POI_RERANK_WORKER ?? 'source (tsx; run `npm run build` first to time the built worker)'
  const n = Number(a.n)
  const every = Number(a.every)
  const t0 = performance.now()
  const load0 = loadavg()[0]
  const dir = join(ROOT, '.poi-tmp', 'bench-rerank')
  mkdirSync(dir, { recursive: true })
  const file = join(dir, `synthetic-${n}-${process.pid}.poi`)
  const tb = performance.now()
  const wrong = buildProject(file, n, 1)
  const buildMs = performance.now() - tb
  process.stdout.write(
    `bench:rerank: SYNTHETIC audit items (no cached FER2013 audit): ${n} images, ${wrong.size} wrong labels; project built in ${(buildMs / 1000).toFixed(1)} s; worker ${workerFrom}; load ${load0.toFixed(2)} on ${cpus().length} cores\n`
  )

  const api = createApi({ mode: 'browser', project: file, actor: 'bench' })
  try {
    value(await api.dispatch('queue.setLearning', { enabled: true, every }))
    const order: number[] = []
    for (let cursor: string | undefined; ;) {
      const page = value<QueuePage>(
        await api.dispatch('images.queue', {
          filter: { review: 'unreviewed' },
          sort: { by: 'score' },
          limit: 500,
          cursor
        })
      )
      order.push(...page.items.map((it) => it.imageId))
      if (!page.nextCursor) break
      cursor = page.nextCursor
    }
    const cur = curator(api, order, wrong)
    const before = { decide: [] as number[], queue: [] as number[] }
    const during = { decide: [] as number[], queue: [] as number[] }
    const rounds: (RerankRecordView & { wallMs: number; load: number })[] = []
    for (let round = 0; round < Number(a.rounds); round++) {
      // Decisions until one starts the background re-rank (`every` after the last re-rank's snapshot;
      // decisions made while the previous one ran count towards it).
      let st = value<LearningQueueState>(await api.dispatch('queue.learning', {}))
      for (let k = 0; !st.running; k++) {
        if (k > every) throw new Error(`no re-rank started after ${k} decisions: ${JSON.stringify(st)}`)
        const s = await cur.step()
        before.decide.push(s.decide)
        if (s.queue != null) before.queue.push(s.queue)
        st = value<LearningQueueState>(await api.dispatch('queue.learning', {}))
      }
      const tr = performance.now()
      while (st.running) {
        // A brisk curator: one decision every 25 ms (a person takes a second or more).
        await new Promise((r) => setTimeout(r, 25))
        const s = await cur.step()
        during.decide.push(s.decide)
        if (s.queue != null) during.queue.push(s.queue)
        st = value<LearningQueueState>(await api.dispatch('queue.learning', {}))
      }
      if (st.error || !st.last) throw new Error(`re-rank failed: ${st.error}`)
      const x = { ...st.last, wallMs: Math.round(performance.now() - tr), load: loadavg()[0] }
      rounds.push(x)
      process.stdout.write(
        `re-rank ${round + 1} (automatic, ${every} decisions after the last): ${x.order} order of ${x.images} images from ${x.decisions} decisions — read ${x.readMs} ms + fit/re-rank ${x.fitMs} ms (worker thread, nice ${x.workerNice ?? '?'}) + store ${x.storeMs} ms in short transactions on the API connection (longest ${x.storeMaxMs} ms) = ${x.totalMs} ms end to end; ${(x.wallMs / 1000).toFixed(2)} s until the order was in use; load ${x.load.toFixed(2)}${x.order === 'static' ? ` [${x.reason}]` : ''}\n`
      )
    }
    const lat = {
      before: { decide: summary(before.decide), queue: summary(before.queue) },
      during: { decide: summary(during.decide), queue: summary(during.queue) }
    }
    process.stdout.write(
      `review.decide (+next) ms with no re-rank running: p50 ${lat.before.decide.p50} p95 ${lat.before.decide.p95} (n ${lat.before.decide.n}); while one runs: p50 ${lat.during.decide.p50} p95 ${lat.during.decide.p95} max ${lat.during.decide.max} (n ${lat.during.decide.n})\n`
    )
    process.stdout.write(
      `images.queue first page ms with no re-rank running: p50 ${lat.before.queue.p50} (n ${lat.before.queue.n}); while one runs: p50 ${lat.during.queue.p50} (n ${lat.during.queue.n})\n`
    )
    const wall = (performance.now() - t0) / 1000
    process.stdout.write(
      `wall time ${wall.toFixed(1)} s; threads: API on the main thread + 1 re-rank worker thread; load ${load0.toFixed(2)} at start, ${loadavg()[0].toFixed(2)} at end (${cpus().length} cores)\n`
    )
    const out = resolve(a.out)
    mkdirSync(dirname(out), { recursive: true })
    writeFileSync(
      out,
      JSON.stringify(
        {
          bench: 'rerank',
          version: 1,
          at: new Date().toISOString(),
          data: 'synthetic audit items (no cached FER2013 audit)',
          worker: workerFrom,
          images: n,
          wrongLabels: wrong.size,
          every,
          machine: { cpus: cpus().length, loadStart: load0, loadEnd: loadavg()[0] },
          threads: { api: 1, rerankWorker: 1 },
          buildMs: Math.round(buildMs),
          rounds,
          latencyMs: lat,
          wallS: +wall.toFixed(1)
        },
        null,
        2
      ) + '\n'
    )
    process.stdout.write(`wrote ${out}\n`)
  } finally {
    await api.close()
    for (const f of [file, `${file}-wal`, `${file}-shm`]) rmSync(f, { force: true })
  }
}

if (process.argv[1] && resolve(process.argv[1]) === fileURLToPath(import.meta.url)) {
  main().catch((e) => {
    process.stderr.write(`bench:rerank: ${(e as Error).stack ?? e}\n`)
    process.exit(1)
  })
}
