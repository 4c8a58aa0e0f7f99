/**
 * The single-writer lock under a real race: two child processes open the same project files at the
 * same instants, TRIALS times with no lock present and TRIALS times over a stale lock left by a
 * SIGKILLed holder. Every child records when it acquired and released each project; no two holds
 * of one project may overlap in time. A SIGKILLed holder's lock must be free at once.
 */
import { afterAll, beforeAll, describe, expect, it } from 'vitest'
import { spawn } from 'node:child_process'
import { copyFileSync } from 'node:fs'
import { join } from 'node:path'
import { bundleChild } from '../../helpers/child'
import { openProjectDb } from '../../../src-main/core/store/db'
import { tempDir } from '../../helpers/tmp'

const TRIALS = Number(process.env.POI_LOCK_TRIALS ?? 120)
const HOLD_MS = 15

let dir: string
let cleanup: () => void
let childJs: string
let removeChild: () => void

beforeAll(async () => {
  ;({ dir, cleanup } = tempDir('poi-lock-race-'))
  ;({ js: childJs, remove: removeChild } = await bundleChild('test/fixtures-gen/lock-child.ts'))
})

afterAll(() => {
  cleanup?.()
  removeChild?.()
})

interface Hold {
  ok: boolean
  start: number
  acq?: number
  rel?: number
  err?: string
}

function run(args: string[], until?: RegExp): Promise<{ stdout: string; kill: () => Promise<void> }> {
  return new Promise((res, rej) => {
    const child = spawn(process.execPath, [childJs, ...args], { stdio: ['ignore', 'pipe', 'pipe'] })
    let stdout = ''
    let stderr = ''
    const exited = new Promise<void>((r) => child.on('exit', () => r()))
    const kill = async (): Promise<void> => {
      child.kill('SIGKILL')
      await exited
    }
    child.stderr.on('data', (d) => (stderr += d))
    child.stdout.on('data', (d) => {
      stdout += d
      if (until && until.test(stdout)) res({ stdout, kill })
    })
    child.on('error', rej)
    child.on('exit', (code) => {
      if (until && !until.test(stdout)) rej(new Error(`child exited ${code} before ${until}: ${stderr}`))
      else if (code !== 0 && code !== null) rej(new Error(`child exited ${code}: ${stderr}`))
      else res({ stdout, kill })
    })
  })
}

/** Makes `n` copies of one fresh project; returns their paths. */
function projects(tag: string, n: number): string[] {
  const template = join(dir, `${tag}-template.poi`)
  openProjectDb(template, { create: true }).close()
  return Array.from({ length: n }, (_, i) => {
    const f = join(dir, `${tag}-${i}.poi`)
    copyFileSync(template, f)
    return f
  })
}

/** A racing child driven line by line over stdin. */
function racer(): { ask: (line: string) => Promise<Hold>; ready: Promise<void>; end: () => Promise<void> } {
  const child = spawn(process.execPath, [childJs, 'race', String(HOLD_MS)], { stdio: ['pipe', 'pipe', 'pipe'] })
  const waiting: ((l: string) => void)[] = []
  let buf = ''
  let stderr = ''
  child.stderr.on('data', (d) => (stderr += d))
  child.stdout.on('data', (d) => {
    buf += d
    let nl: number
    while ((nl = buf.indexOf('\n')) >= 0) {
      const l = buf.slice(0, nl)
      buf = buf.slice(nl + 1)
      waiting.shift()?.(l)
    }
  })
  const exited = new Promise<void>((r) => child.on('exit', () => r()))
  const next = (): Promise<string> =>
    new Promise((res, rej) => {
      waiting.push(res)
      void exited.then(() => rej(new Error(`racer exited: ${stderr}`)))
    })
  const ready = next().then(() => undefined)
  return {
    ready,
    ask: (line) => {
      const p = next()
      child.stdin.write(line + '\n')
      return p.then((l) => JSON.parse(l) as Hold)
    },
    end: async () => {
      child.stdin.end()
      await exited
    }
  }
}

/** Races two children over `files`, one trial at a time; counts trials whose two holds overlapped. */
async function race(files: string[]): Promise<{ overlaps: number; bothRefused: number; won: number }> {
  const a = racer()
  const b = racer()
  await Promise.all([a.ready, b.ready])
  let overlaps = 0
  let bothRefused = 0
  let won = 0
  const skew: number[] = []
  try {
    for (let i = 0; i < files.length; i++) {
      const line = `${Date.now() + 4} ${files[i]}`
      const [x, y] = await Promise.all([a.ask(line), b.ask(line)])
      skew.push(Math.abs(x.start - y.start))
      if (x.ok && y.ok && x.acq! < y.rel! && y.acq! < x.rel!) overlaps++
      if (!x.ok && !y.ok) bothRefused++
      if (x.ok !== y.ok || (x.ok && y.ok && (x.acq! >= y.rel! || y.acq! >= x.rel!))) won++
      for (const h of [x, y]) if (!h.ok) expect(h.err, `trial ${i}`).toBe('LOCKED')
    }
  } finally {
    await Promise.all([a.end(), b.end()])
  }
  skew.sort((p, q) => p - q)
  console.log(
    `start skew ms: median ${skew[skew.length >> 1].toFixed(2)}, p90 ${skew[Math.floor(skew.length * 0.9)].toFixed(2)}`
  )
  return { overlaps, bothRefused, won }
}

describe('single-writer lock race', () => {
  it(`${TRIALS} trials of two processes opening one project at once: 0 overlapping holds`, async () => {
    const r = await race(projects('fresh', TRIALS))
    console.log(
      `lock race, no lock present: ${TRIALS} trials, ${r.overlaps} overlaps, ${r.won} serialised, ${r.bothRefused} both refused`
    )
    expect(r.overlaps).toBe(0)
    expect(r.bothRefused).toBe(0)
  }, 600_000)

  it(`${TRIALS} trials over a stale lock from a SIGKILLed holder: 0 overlapping holds`, async () => {
    const files = projects('stale', TRIALS)
    const holder = await run(['hold', ...files], /held \d+/)
    await holder.kill()
    const r = await race(files)
    console.log(
      `lock race, stale lock: ${TRIALS} trials, ${r.overlaps} overlaps, ${r.won} serialised, ${r.bothRefused} both refused`
    )
    expect(r.overlaps).toBe(0)
    expect(r.bothRefused).toBe(0)
  }, 600_000)

  it("frees a SIGKILLed holder's lock at once", async () => {
    const [file] = projects('killed', 1)
    const holder = await run(['hold', file], /held 1/)
    expect(() => openProjectDb(file)).toThrow(/process \d+/)
    await holder.kill()
    openProjectDb(file).close()
  })
})
