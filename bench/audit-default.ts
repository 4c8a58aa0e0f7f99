/**
 * The default audit of FER2013, end to end, as a curator runs it (`npm run bench:audit [-- options]`):
 * `poi-audit init` → `import` (all 35,887 images of ../shared/data/fer2013/labels.csv) → `train` with
 * every default (engine, backbone, epochs, batch, threads chosen by the app) → `audit`, each as its own
 * CLI process on a fresh project, the way the README's commands run. Issue 13's target: ≤ 60 min wall,
 * ≤ 4 GB resident, progress with ETA throughout.
 *
 * Per stage: wall seconds; peak resident memory of the process and its children (VmRSS summed over the
 * process tree, sampled every 250 ms: worker threads count, they share the process); progress lines on
 * stderr (non-TTY: the CLI prints one at most every 2 s), how many carry an ETA, and the longest
 * silence between two lines (the "throughout" part); the 1-minute load sampled every second. Then the
 * run's accuracy on the validation split and on FER2013's PrivateTest (the test split, which the default
 * run scores but never trains on) and the audit's flag counts. Writes bench-results/audit-default.json.
 *
 * Options: --data DIR (holding fer2013/), --kfold K (passed to train: out-of-sample scores from K
 * models), --train-args "…" (more train flags, e.g. "--epochs 3" for a quick check), --keep (keep the
 * project in .poi-tmp/bench-audit/), --out FILE. Needs `npm run build` (it runs bin/poi-audit.js).
 * Exits 0 with a message when FER2013 is absent.
 */
import { spawn } from 'node:child_process'
import { existsSync, mkdirSync, readdirSync, readFileSync, rmSync, writeFileSync } from 'node:fs'
import { cpus, loadavg, totalmem } from 'node:os'
import { dirname, join, resolve } from 'node:path'
import { fileURLToPath } from 'node:url'
import { parseArgs } from 'node:util'
import Database from 'better-sqlite3'

const ROOT = resolve(dirname(fileURLToPath(import.meta.url)), '..')
const CLI = join(ROOT, 'bin', 'poi-audit.js')

/** One CLI stage as measured. */
export interface StageResult {
  stage: string
  args: string[]
  exitCode: number | null
  seconds: number
  /** Peak of the summed VmRSS over the process tree, MiB. */
  peakRssMiB: number
  progressLines: number
  linesWithEta: number
  /** Longest time between two stderr lines (or from start to the first), s. */
  longestSilenceS: number
  load: { min: number; max: number; mean: number }
  stdout: string
  stderrTail: string
}

/** Resident KiB of `pid` and every descendant (Linux /proc); 0 for a process that is gone. */
function treeRssKiB(pid: number): number {
  const children = new Map<number, number[]>()
  for (const d of readdirSync('/proc')) {
    if (!/^\d+$/.test(d)) continue
    try {
      const stat = readFileSync(`/proc/${d}/stat`, 'utf8')
      const ppid = Number(stat.slice(stat.lastIndexOf(')') + 2).split(' ')[1])
      const list = children.get(ppid) ?? []
      list.push(Number(d))
      children.set(ppid, list)
    } catch {
      // exited between readdir and read
    }
  }
  let kib = 0
  const todo = [pid]
  while (todo.length) {
    const p = todo.pop()!
    try {
      const m = /VmRSS:\s+(\d+) kB/.exec(readFileSync(`/proc/${p}/status`, 'utf8'))
      if (m) kib += Number(m[1])
    } catch {
      // gone
    }
    todo.push(...(children.get(p) ?? []))
  }
  return kib
}

/** Runs `node bin/poi-audit.js …args`, measuring it; stderr is echoed so the bench shows progress. */
export function runStage(stage: string, args: string[]): Promise<StageResult> {
  return new Promise((resolveStage, reject) => {
    const t0 = performance.now()
    const child = spawn(process.execPath, [CLI, ...args], { cwd: ROOT, stdio: ['ignore', 'pipe', 'pipe'] })
    let stdout = ''
    let errBuf = ''
    let tail = ''
    let lines = 0
    let eta = 0
    let lastLine = t0
    let longest = 0
    let peak = 0
    const loads: number[] = [loadavg()[0]]
    const rssTimer = setInterval(() => {
      if (child.pid) peak = Math.max(peak, treeRssKiB(child.pid))
    }, 250)
    const loadTimer = setInterval(() => loads.push(loadavg()[0]), 1000)
    child.stdout.on('data', (b: Buffer) => (stdout += b.toString()))
    child.stderr.on('data', (b: Buffer) => {
      const s = b.toString()
      process.stderr.write(s)
      tail = (tail + s).slice(-4000)
      errBuf += s
      const parts = errBuf.split(/\r?\n|\r/)
      errBuf = parts.pop() ?? ''
      for (const line of parts) {
        if (!line.trim()) continue
        const now = performance.now()
        longest = Math.max(longest, now - lastLine)
        lastLine = now
        lines++
        if (/ETA/i.test(line)) eta++
      }
    })
    child.on('error', reject)
    child.on('close', (code) => {
      clearInterval(rssTimer)
      clearInterval(loadTimer)
      const end = performance.now()
      resolveStage({
        stage,
        args,
        exitCode: code,
        seconds: (end - t0) / 1000,
        peakRssMiB: peak / 1024,
        progressLines: lines,
        linesWithEta: eta,
        longestSilenceS: Math.max(longest, end - lastLine) / 1000,
        load: {
          min: Math.min(...loads),
          max: Math.max(...loads),
          mean: loads.reduce((a, b) => a + b, 0) / loads.length
        },
        stdout,
        stderrTail: tail
      })
    })
  })
}

/** Accuracy of the run's stored TRN predictions on the project's images of `split`, against current labels. */
function splitAccuracy(file: string, runId: number, split: string): { n: number; accuracy: number | null } {
  const db = new Database(file, { readonly: true })
  try {
    const rows = db
      .prepare(
        `SELECT p.trn_probs AS probs, a.current_label AS label
           FROM predictions p JOIN images i ON i.id = p.image_id JOIN annotations a ON a.image_id = p.image_id
          WHERE p.run_id = ? AND i.split = ? AND a.state = 'labeled' AND a.current_label IS NOT NULL`
      )
      .all(runId, split) as { probs: Buffer; label: number }[]
    let ok = 0
    for (const r of rows) {
      const p = new Float32Array(new Uint8Array(r.probs).buffer) // a copy: the blob need not be 4-byte aligned
      let best = 0
      for (let k = 1; k < p.length; k++) if (p[k] > p[best]) best = k
      if (best === r.label) ok++
    }
    return { n: rows.length, accuracy: rows.length ? ok / rows.length : null }
  } finally {
    db.close()
  }
}

async function main(): Promise<void> {
  const { values: o } = parseArgs({
    options: {
      data: { type: 'string' },
      kfold: { type: 'string' },
      'train-args': { type: 'string' },
      keep: { type: 'boolean' },
      out: { type: 'string' }
    },
    strict: true
  })
  const csv = join(resolve(o.data ?? join(ROOT, '..', 'shared', 'data')), 'fer2013', 'labels.csv')
  if (!existsSync(csv)) {
    process.stdout.write(`bench:audit: FER2013 not found at ${csv}; nothing to measure (give --data DIR). Skipped.\n`)
    return
  }
  if (!existsSync(join(ROOT, 'out', 'main')))
    throw new Error('bench:audit runs the built CLI: run `npm run build` first')
  const dir = join(ROOT, '.poi-tmp', 'bench-audit')
  rmSync(dir, { recursive: true, force: true })
  mkdirSync(dir, { recursive: true })
  const project = join(dir, 'fer2013.poi')
  const trainExtra = [
    ...(o.kfold ? ['--kfold', o.kfold] : []),
    ...(o['train-args'] ? o['train-args'].split(/\s+/).filter(Boolean) : [])
  ]
  process.stderr.write(
    `bench:audit: FER2013 ${csv} → ${project}; train ${trainExtra.join(' ') || '(every default)'}; ` +
      `1-min load ${loadavg()[0].toFixed(2)} at start, ${cpus().length} cores\n`
  )
  const t0 = performance.now()
  const stages: StageResult[] = []
  const plan: [string, string[]][] = [
    ['init', ['init', project]],
    ['import', ['import', project, csv]],
    ['train', ['train', project, '--json', ...trainExtra]],
    ['audit', ['audit', project, '--json']]
  ]
  for (const [stage, args] of plan) {
    process.stderr.write(`\n== ${stage}: poi-audit ${args.join(' ')}\n`)
    const r = await runStage(stage, args)
    stages.push(r)
    process.stderr.write(
      `== ${stage}: exit ${r.exitCode}, ${r.seconds.toFixed(1)} s, peak ${r.peakRssMiB.toFixed(0)} MiB, ` +
        `${r.progressLines} progress lines (${r.linesWithEta} with ETA), longest silence ${r.longestSilenceS.toFixed(1)} s\n`
    )
    if (r.exitCode !== 0) throw new Error(`${stage} failed (exit ${r.exitCode}):\n${r.stderrTail}`)
  }
  const minutes = (performance.now() - t0) / 60000
  const train = JSON.parse(stages[2].stdout) as {
    runId: number
    metrics: { backend: string; seconds: number; final: { epoch: number; valAcc: number | null }[] } | null
  }
  const audit = JSON.parse(stages[3].stdout) as {
    summary: { images: number; scored: number; flagCounts?: Record<string, number> }
    table: { flags: string[]; rows?: unknown[]; total?: unknown }
  }
  const test = splitAccuracy(project, train.runId, 'test')
  const val = splitAccuracy(project, train.runId, 'val')
  const report = {
    bench: 'audit-default',
    version: 1,
    at: new Date().toISOString(),
    data: csv,
    machine: { cpus: cpus().length, model: cpus()[0]?.model ?? null, memGiB: totalmem() / 2 ** 30 },
    trainArgs: trainExtra,
    minutes,
    peakRssMiB: Math.max(...stages.map((s) => s.peakRssMiB)),
    stages: stages.map(({ stdout: _o, ...s }) => s),
    run: { id: train.runId, backend: train.metrics?.backend ?? null, trainMinutes: (train.metrics?.seconds ?? 0) / 60 },
    accuracy: { val, test },
    audit: { summary: audit.summary, table: audit.table }
  }
  const out = resolve(o.out ?? join(ROOT, 'bench-results', 'audit-default.json'))
  mkdirSync(dirname(out), { recursive: true })
  writeFileSync(out, JSON.stringify(report, null, 2) + '\n')
  const rows = [
    ['stage', 'exit', 'seconds', 'peak MiB', 'progress lines', 'with ETA', 'longest silence s', 'load mean'],
    ...stages.map((s) => [
      s.stage,
      String(s.exitCode),
      s.seconds.toFixed(1),
      s.peakRssMiB.toFixed(0),
      String(s.progressLines),
      String(s.linesWithEta),
      s.longestSilenceS.toFixed(1),
      s.load.mean.toFixed(2)
    ])
  ]
  const w = rows[0].map((_, i) => Math.max(...rows.map((r) => r[i].length)))
  process.stdout.write(rows.map((r) => r.map((c, i) => c.padEnd(w[i])).join('  ')).join('\n') + '\n')
  const pct = (x: number | null): string => (x == null ? '–' : `${(x * 100).toFixed(2)} %`)
  process.stdout.write(
    `total ${minutes.toFixed(1)} min (target ≤ 60), peak ${report.peakRssMiB.toFixed(0)} MiB (target ≤ 4096); ` +
      `run ${train.runId} on ${report.run.backend}: val ${pct(val.accuracy)} (${val.n}), test ${pct(test.accuracy)} (${test.n})\n` +
      `wrote ${out}\n`
  )
  if (!o.keep) rmSync(dir, { recursive: true, force: true })
}

if (process.argv[1] && resolve(process.argv[1]) === fileURLToPath(import.meta.url)) {
  main().catch((e: unknown) => {
    process.stderr.write(`bench:audit: ${e instanceof Error ? e.message : String(e)}\n`)
    process.exit(1)
  })
}
