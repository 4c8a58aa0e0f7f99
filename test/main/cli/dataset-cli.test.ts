import { afterEach, describe, expect, it } from 'vitest'
import { spawnSync } from 'node:child_process'
import { join } from 'node:path'
import Database from 'better-sqlite3'
import { openProjectDb } from '../../../src-main/core/store/db'
import { initCommand } from '../../../src-main/cli/commands/init'
import { importCommand } from '../../../src-main/cli/commands/import'
import { infoCommand } from '../../../src-main/cli/commands/info'
import { EXIT, type CliIo } from '../../../src-main/cli/ui/io'
import { buildProgram } from '../../../src-main/cli/program'
import { createProgress, fmtEta } from '../../../src-main/cli/ui/progress'
import { trainReporter } from '../../../src-main/cli/commands/train'
import type { TrainProgressEvent } from '../../../src-main/core/train/train'
import { csv, makeClassFolders, write } from '../../fixtures-gen/images'
import { tempDir } from '../../helpers/tmp'

const cleanups: (() => void)[] = []
afterEach(() => {
  for (const c of cleanups.splice(0)) c()
})
function tmp(): string {
  const t = tempDir('poi-cli-')
  cleanups.push(t.cleanup)
  return t.dir
}
function io(): CliIo & { stdout: string; stderr: string } {
  const o = {
    stdout: '',
    stderr: '',
    out: (s: string) => void (o.stdout += s),
    err: (s: string) => void (o.stderr += s)
  }
  return o
}

describe('poi-audit init / import / info (command functions)', () => {
  it('creates a project, imports a dataset with a report, and describes it', async () => {
    const dir = tmp()
    const root = join(dir, 'ds')
    await makeClassFolders(root, { angry: 2, happy: 3 }, { split: 'train' })
    await makeClassFolders(root, { happy: 1 }, { split: 'test', seedBase: 100 })
    const file = join(dir, 'p.poi')
    const a = io()
    expect(await initCommand(file, { inputSize: '32' }, a)).toBe(EXIT.ok)
    expect(a.stdout).toMatch(/Created .*p\.poi .*pixel cache 32×32×1/)
    expect(await initCommand(file, {}, a)).toBe(EXIT.badInput)
    expect(a.stderr).toMatch(/already exists/)

    const b = io()
    expect(await importCommand(file, root, {}, b)).toBe(EXIT.ok)
    expect(b.stdout).toMatch(/Imported 6 image\(s\) from .*\(folder\)/)
    expect(b.stdout).toMatch(/happiness\s+3\s+1\s+4/)
    expect(b.stdout).toMatch(/class names mapped: .*angry → anger/)
    expect(b.stdout).toMatch(/class names mapped: .*happy → happiness/)
    // Not a TTY: progress as plain lines on stderr.
    expect(b.stderr).toMatch(/import decode: 6\/6 \(100%\)/)

    const c = io()
    expect(await infoCommand(file, { json: true }, c)).toBe(EXIT.ok)
    const s = JSON.parse(c.stdout)
    expect(s.images).toBe(6)
    expect(s.countsBySplitClass).toEqual({ train: { anger: 2, happiness: 3 }, test: { happiness: 1 } })
    expect(s.pixelCache).toEqual([{ size: 32, channels: 1, images: 6 }])
    expect(s.imports).toHaveLength(1)
    const d = io()
    expect(await infoCommand(file, {}, d)).toBe(EXIT.ok)
    expect(d.stdout).toMatch(/images: 6 \(6 decoded, 0 undecodable\)/)
    expect(d.stdout).toMatch(/imports \(1\):/)
  })

  it('exit codes: 2 for bad options, 3 for a refused import (naming the line), 3 for no project', async () => {
    const dir = tmp()
    const file = join(dir, 'p.poi')
    await initCommand(file, {}, io())
    const root = join(dir, 'ds')
    await makeClassFolders(root, { happy: 1 })
    write(
      join(root, 'bad.csv'),
      csv([
        ['path', 'label'],
        ['happy/happy_0.jpg', 'joyful-ish']
      ])
    )
    const a = io()
    expect(await importCommand(file, join(root, 'bad.csv'), {}, a)).toBe(EXIT.badInput)
    expect(a.stderr).toMatch(/bad\.csv:2: unknown class "joyful-ish"/)
    const b = io()
    expect(await importCommand(file, root, { format: 'xml' }, b)).toBe(EXIT.usage)
    expect(await importCommand(file, root, { split: 'holdout' }, b)).toBe(EXIT.usage)
    expect(await initCommand(join(dir, 'q.poi'), { channels: '2' }, b)).toBe(EXIT.usage)
    expect(await importCommand(join(dir, 'missing.poi'), root, {}, b)).toBe(EXIT.badInput)
    expect(b.stderr).toMatch(/no project file/)
    const c = io()
    expect(await importCommand(join(dir, 'new.poi'), root, { create: true, json: true }, c)).toBe(EXIT.ok)
    expect(JSON.parse(c.stdout).imported).toBe(1)
  })

  it('exit code 4 for a project locked by a live process or written by a newer version', async () => {
    const dir = tmp()
    const file = join(dir, 'p.poi')
    await initCommand(file, {}, io())
    const root = join(dir, 'ds')
    await makeClassFolders(root, { happy: 1 })
    // A live holder (here this process; lock-race.test.ts uses other processes) is respected and named.
    const holder = openProjectDb(file)
    const a = io()
    expect(await importCommand(file, root, {}, a)).toBe(EXIT.locked)
    expect(a.stderr).toMatch(/open for writing by process \d+ on \S+ \(.*since/)
    holder.close()
    const db = new Database(file)
    db.pragma('user_version = 9990')
    db.close()
    const b = io()
    expect(await infoCommand(file, {}, b)).toBe(EXIT.locked)
    expect(b.stderr).toMatch(/newer POI Audit/)
  })
})

describe('progress output', () => {
  it('prints plain lines at most every interval when not a TTY, always on phase change and at the end', () => {
    const o = io()
    let t = 0
    const p = createProgress(o, 'import', { intervalMs: 1000, now: () => t })
    p.update(0, 100, 'decode')
    t = 10
    p.update(10, 100, 'decode') // too soon
    t = 1500
    p.update(50, 100, 'decode')
    t = 1600
    p.update(100, 100, 'decode') // the end is always shown
    p.update(0, 1, 'commit')
    p.stop()
    expect(o.stderr.trim().split('\n')).toEqual([
      'import decode: 0/100 (0%)',
      // 50 in 1.5 s, 50 to go: an ETA from the phase's own rate.
      'import decode: 50/100 (50%) | ETA 2 s',
      'import decode: 100/100 (100%)',
      'import commit: 0/1 (0%)'
    ])
    // A caller's own ETA (training's) is not doubled; a new phase measures its own rate.
    const q = io()
    t = 0
    const p2 = createProgress(q, 'train', { intervalMs: 1000, now: () => t })
    p2.update(0, 10, 'epoch', 'ETA 9 min 00 s')
    t = 2000
    p2.update(5, 10, 'epoch', 'ETA 1 min 00 s')
    p2.update(0, 4000, 'score')
    t = 302_000
    p2.update(1000, 4000, 'score')
    expect(q.stderr.trim().split('\n')).toEqual([
      'train epoch: 0/10 (0%) | ETA 9 min 00 s',
      'train epoch: 5/10 (50%) | ETA 1 min 00 s',
      'train score: 0/4000 (0%)',
      'train score: 1000/4000 (25%) | ETA 15 min 00 s'
    ])
    expect(fmtEta(3 * 3600 + 125)).toBe('3 h 02 min')
  })

  it('training goes through the same kit: on a non-TTY a line at the start, at each epoch end and at the end, not per step', () => {
    const o = io()
    const r = trainReporter(o, { intervalMs: 60_000 })
    const base = {
      runId: 1,
      fold: -1,
      epochs: 2,
      steps: 4,
      lossTerms: { total: 1 },
      trainAcc: 0.5,
      valAcc: null,
      imgPerSec: 10,
      etaSeconds: 5,
      backend: 'wasm',
      backendReason: 'test'
    }
    for (let epoch = 1; epoch <= 2; epoch++)
      for (let step = 1; step <= 4; step++) r.update({ ...base, phase: 'train', epoch, step } as TrainProgressEvent)
    r.stop()
    const lines = o.stderr.trim().split('\n')
    expect(lines.slice(0, 2)).toEqual(['wasm', '  (test)'])
    expect(lines.slice(2).map((l) => l.split(' | ')[0])).toEqual([
      'train epochs: 1/8 (12%)',
      'train epochs: 4/8 (50%)',
      'train epochs: 8/8 (100%)'
    ])
    expect(lines[2]).toMatch(/epoch 1\/2 step 1\/4 \| loss 1\.000/)
  })
})

describe('the poi-audit binary (spawned)', () => {
  const cli = (...args: string[]) =>
    spawnSync(process.execPath, ['--import', 'tsx', 'src-main/cli/index.ts', ...args], {
      encoding: 'utf8',
      timeout: 60_000
    })

  it('has --help for init, import and info, and exits 2 on a usage error', () => {
    const program = buildProgram()
    for (const cmd of ['init', 'import', 'info']) {
      const c = program.commands.find((x) => x.name() === cmd)
      expect(c, cmd).toBeDefined()
      expect(c!.helpInformation(), cmd).toMatch(/--json/)
    }
    // Spawning is slow (the whole CLI loads), so one help and one usage error end to end.
    const help = cli('import', '--help')
    expect(help.status).toBe(0)
    expect(help.stdout).toMatch(/Formats \(auto-detected/)
    expect(help.stdout).toMatch(/Exit codes: 0 ok/)
    const bad = cli('import', 'only-one-arg.poi')
    expect(bad.status).toBe(2)
    expect(bad.stderr).toMatch(/missing required argument 'source'/)
  })
})
