/**
 * Crash safety: an import child process is SIGKILLed mid-way (at random moments and right after
 * random chunks) a dozen times, all into the same project. After every kill the project must open
 * (taking over the dead process's lock), pass integrity_check, and hold either none or all of the
 * killed import — and still every earlier completed import, intact.
 */
import { afterAll, beforeAll, describe, expect, it } from 'vitest'
import { spawn } from 'node:child_process'
import { mkdirSync, realpathSync, rmSync } from 'node:fs'
import { join, resolve } from 'node:path'
import { build } from 'esbuild'
import { createProject, openProject } from '../../../src-main/core/project'
import { integrityCheck } from '../../../src-main/core/store/db'
import { linkTree, makeClassFolders, rng } from '../../fixtures-gen/images'
import { tempDir } from '../../helpers/tmp'

const IMAGES = 48
const CHUNK = 8
const KILLS = 12

let dir: string
let cleanup: () => void
let childJs: string

beforeAll(async () => {
  ;({ dir, cleanup } = tempDir('poi-kill-'))
  // Bundled once so each child starts in a fraction of a second; packages stay external and resolve
  // from the repository's node_modules, hence the bundle lives under it.
  const out = resolve('node_modules/.cache/poi-test')
  mkdirSync(out, { recursive: true })
  childJs = join(out, `import-child-${process.pid}.mjs`)
  await build({
    entryPoints: [resolve('test/fixtures-gen/import-child.ts')],
    bundle: true,
    platform: 'node',
    format: 'esm',
    packages: 'external',
    outfile: childJs,
    logLevel: 'error'
  })
  await makeClassFolders(join(dir, 'base'), { happy: IMAGES / 2, sad: IMAGES / 2 }, { size: 32 })
})

afterAll(() => {
  cleanup?.()
  if (childJs) rmSync(childJs, { force: true })
})

interface Outcome {
  killedAt: string
  exitedByItself: boolean
}

/** Runs the child and SIGKILLs it when `shouldKill(line)` first says so (or after `afterMs` past "begin"). */
function runChild(
  project: string,
  source: string,
  plan: { onChunk?: number; afterBeginMs?: number }
): Promise<Outcome> {
  return new Promise((resolvePromise, reject) => {
    const child = spawn(process.execPath, [childJs, project, source, String(CHUNK)], {
      stdio: ['ignore', 'pipe', 'pipe']
    })
    let killedAt = ''
    let stderr = ''
    let buf = ''
    const kill = (why: string): void => {
      if (killedAt || child.exitCode != null) return
      killedAt = why
      child.kill('SIGKILL')
    }
    child.stderr.on('data', (d) => (stderr += d))
    child.stdout.on('data', (d: Buffer) => {
      buf += d.toString()
      let nl: number
      while ((nl = buf.indexOf('\n')) >= 0) {
        const line = buf.slice(0, nl)
        buf = buf.slice(nl + 1)
        if (line === 'begin' && plan.afterBeginMs != null)
          setTimeout(() => kill(`${plan.afterBeginMs} ms after begin`), plan.afterBeginMs)
        const m = /^chunk (\d+)$/.exec(line)
        if (m && plan.onChunk != null && Number(m[1]) >= plan.onChunk * CHUNK) kill(`after chunk ${plan.onChunk}`)
      }
    })
    child.on('error', reject)
    child.on('exit', (code, signal) => {
      if (!killedAt && code !== 0) reject(new Error(`child failed (${code ?? signal}): ${stderr}`))
      else resolvePromise({ killedAt, exitedByItself: !killedAt || signal !== 'SIGKILL' })
    })
  })
}

describe('import crash safety', () => {
  it(`survives ${KILLS} SIGKILLs mid-import: integrity ok, each import none or all`, async () => {
    const file = join(dir, 'p.poi')
    createProject(file).close()
    const random = rng(20261128)
    const complete = new Set<string>()
    // One import that runs to the end first: every later check also proves it survives the crashes.
    linkTree(join(dir, 'base'), join(dir, 'first'))
    expect((await runChild(file, join(dir, 'first'), {})).killedAt).toBe('')
    complete.add(realpathSync(join(dir, 'first')))
    let rolledBack = 0
    for (let i = 0; i < KILLS; i++) {
      const src = join(dir, `ds${i}`)
      linkTree(join(dir, 'base'), src)
      const root = realpathSync(src)
      // Even runs: right after a random chunk (surely inside the transaction); odd: a random moment.
      const plan =
        i % 2 === 0
          ? { onChunk: 1 + Math.floor(random() * (IMAGES / CHUNK - 2)) }
          : { afterBeginMs: Math.floor(random() * 400) }
      const outcome = await runChild(file, src, plan)
      const p = openProject(file)
      try {
        expect(integrityCheck(p.db), `run ${i}`).toBe('ok')
        const count = (sql: string, ...args: unknown[]): number =>
          p.db
            .prepare(sql)
            .pluck()
            .get(...args) as number
        const here = count(
          'SELECT count(*) FROM images i JOIN datasets d ON d.id = i.dataset_id WHERE d.root = ?',
          root
        )
        expect([0, IMAGES], `run ${i} (${outcome.killedAt || 'finished'}) holds ${here} images`).toContain(here)
        if (here === IMAGES) complete.add(root)
        else rolledBack++
        if (plan.onChunk != null) expect(here, `run ${i} was killed inside its transaction`).toBe(0)
        // Every completed import is whole: images, annotations, history, pixels, and its imports row.
        expect(count('SELECT count(*) FROM images')).toBe(complete.size * IMAGES)
        expect(count('SELECT count(*) FROM annotations')).toBe(complete.size * IMAGES)
        expect(count("SELECT count(*) FROM label_history WHERE source = 'import'")).toBe(complete.size * IMAGES)
        expect(count('SELECT count(*) FROM pixel_cache')).toBe(complete.size * IMAGES)
        expect(count('SELECT count(*) FROM imports')).toBe(complete.size)
        expect(count('SELECT count(DISTINCT batch_id) FROM label_history')).toBe(complete.size)
      } finally {
        p.close()
      }
    }
    expect(rolledBack).toBeGreaterThanOrEqual(KILLS / 2)
  })
})
