/**
 * Training under SIGKILL: a child process training a tiny model on a tiny synthetic project is
 * killed at a random progress event, TRIALS times. After each kill the project opens, the run is
 * marked crashed (status failed, CRASHED_RUN_ERROR) keeping its last checkpoint, and `resumeFrom`
 * continues it to the same final weights as an uninterrupted run with the same seed.
 */
import { afterAll, beforeAll, describe, expect, it } from 'vitest'
import { spawn } from 'node:child_process'
import { initCompute } from '../../../src-main/core/compute/backend'
import { CRASHED_RUN_ERROR, openProject } from '../../../src-main/core/project'
import { getRun } from '../../../src-main/core/store/runs'
import { integrityCheck } from '../../../src-main/core/store/db'
import { loadCheckpoint } from '../../../src-main/core/run/checkpoint'
import { train } from '../../../src-main/core/train/train'
import type { WeightMap } from '../../../src-main/core/model/poi-model'
import { bundleChild } from '../../helpers/child'
import { makeSynthProject, tinyTrainConfig, type SynthProject } from './helpers'

const TRIALS = Number(process.env.POI_TRAIN_KILLS ?? 10)
const CONFIG = tinyTrainConfig({ epochs: 3, scoreAfter: false })

let fx: SynthProject
let childJs: string
let removeChild: () => void
let reference: WeightMap
/** Progress events of a whole run (the child prints one line per event). */
let events = 0

beforeAll(async () => {
  ;({ js: childJs, remove: removeChild } = await bundleChild('test/fixtures-gen/train-child.ts'))
  await initCompute({ backend: 'wasm' })
  fx = await makeSynthProject({ n: 32, size: 24, seed: 5 })
  const r = await train({ projectPath: fx.fresh('reference'), config: CONFIG, progress: () => void events++ })
  reference = (await loadCheckpoint(r.checkpoint!)).weights
})
afterAll(() => {
  fx?.cleanup()
  removeChild?.()
})

/** Trains in a child and SIGKILLs it at progress line number `at` (0-based); resolves with the lines seen. */
function trainAndKill(project: string, at: number): Promise<{ lines: string[]; killed: boolean }> {
  return new Promise((res, rej) => {
    const child = spawn(process.execPath, [childJs, project, JSON.stringify(CONFIG)], {
      stdio: ['ignore', 'pipe', 'pipe']
    })
    const lines: string[] = []
    let buf = ''
    let stderr = ''
    let killed = false
    child.stderr.on('data', (d) => (stderr += d))
    child.stdout.on('data', (d: Buffer) => {
      buf += d.toString()
      let nl: number
      while ((nl = buf.indexOf('\n')) >= 0) {
        lines.push(buf.slice(0, nl))
        buf = buf.slice(nl + 1)
        if (lines.length > at && !killed) {
          killed = true
          child.kill('SIGKILL')
        }
      }
    })
    child.on('error', rej)
    child.on('exit', (code) =>
      killed || code === 0 ? res({ lines, killed }) : rej(new Error(`train child failed (${code}): ${stderr}`))
    )
  })
}

function maxDiff(a: WeightMap, b: WeightMap): number {
  let m = 0
  for (const [k, v] of a) {
    const w = b.get(k)!
    for (let i = 0; i < v.data.length; i++) m = Math.max(m, Math.abs(v.data[i] - w.data[i]))
  }
  return m
}

describe('training under SIGKILL', () => {
  it(`${TRIALS} kills at random points: the run is marked crashed and resumes to the same final weights`, async () => {
    // Progress lines of a whole run, to spread the kills over it (after the first checkpoint, so there is one to
    // resume).
    let seed = 12345
    const rand = (): number => (seed = (seed * 1103515245 + 12345) % 2 ** 31) / 2 ** 31
    const report: string[] = []
    for (let t = 0; t < TRIALS; t++) {
      const path = fx.fresh(`kill-${t}`)
      // Anywhere from just after 'prepare' to just before 'done'.
      const at = 1 + Math.floor(rand() * (events - 2))
      const out = await trainAndKill(path, at)
      const lines = out.lines
      const killed = out.killed && !lines.includes('done 3 0')
      const p = openProject(path)
      let runId: number
      let checkpoint: string | null
      try {
        expect(integrityCheck(p.db)).toBe('ok')
        const run = getRun(p.db, 1)!
        runId = run.id
        checkpoint = run.checkpoint
        if (killed) expect(run).toMatchObject({ status: 'failed', error: CRASHED_RUN_ERROR })
      } finally {
        p.close()
      }
      report.push(
        `${killed ? `killed after "${lines.at(-1)}"` : 'finished first'}${checkpoint ? '' : ', no checkpoint yet'}`
      )
      if (!killed) continue
      if (!checkpoint) continue // killed before the first checkpoint: nothing to resume, a new run starts over
      const r = await train({ projectPath: path, resumeFrom: runId })
      expect(r.status).toBe('done')
      const d = maxDiff((await loadCheckpoint(r.checkpoint!)).weights, reference)
      expect(d, `trial ${t}: ${report.at(-1)}`).toBeLessThan(1e-5)
    }
    console.log(`training kills: ${TRIALS} trials: ${report.join('; ')}`)
    expect(report.filter((r) => r.startsWith('killed') && !r.includes('no checkpoint')).length).toBeGreaterThanOrEqual(
      Math.ceil(TRIALS / 2)
    )
  }, 600_000)
})
