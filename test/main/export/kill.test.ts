/**
 * Crash safety of every export writer: a child process replacing an existing export SIGKILLs
 * itself at each step boundary (POI_KILL_AT, src-main/core/fsutil/fault.ts), for every format as a
 * folder and every one-file format as a single file. After each kill, reading the destination (which
 * runs recovery) must give the complete old export or the complete new one — never the new data with
 * the old manifest, never nothing — and no temp/aside leftovers may remain.
 */
import { afterAll, beforeAll, describe, expect, it } from 'vitest'
import { spawn } from 'node:child_process'
import { existsSync, mkdirSync, readdirSync, writeFileSync } from 'node:fs'
import { basename, dirname, join } from 'node:path'
import { bundleChild } from '../../helpers/child'
import { tempDir } from '../../helpers/tmp'
import { addUniformRun, makeProject, type Fixture } from '../audit/helpers'
import { applyChanges } from '../../../src-main/core/store/labels'
import { exportProject, verifyExport, type ExportFormat } from '../../../src-main/core/export/index'
import { infoCommand } from '../../../src-main/cli/commands/info'

const SINGLE: [ExportFormat, string][] = [
  ['csv', 'out.csv'],
  ['jsonl', 'out.jsonl'],
  ['ferplus', 'out.csv'],
  ['labelstudio', 'out.json']
]
const FOLDER: ExportFormat[] = ['csv', 'jsonl', 'ferplus', 'folders', 'labelstudio', 'cleanlab']
const FILE_STEPS = ['file-written', 'file:manifest-pending', 'file:data-renamed', 'file:manifest-renamed']
const DIR_STEPS = ['file-written', 'dir:manifest-written', 'dir:old-aside', 'dir:swapped']

let dir: string
let cleanup: () => void
let childJs: string
let removeChild: () => void
let fx: Fixture

beforeAll(async () => {
  ;({ dir, cleanup } = tempDir('poi-export-kill-'))
  ;({ js: childJs, remove: removeChild } = await bundleChild('test/fixtures-gen/export-child.ts'))
  fx = makeProject(
    dir,
    ['neutral', 'happiness', 'surprise'],
    [
      { relPath: 'a.png', label: 0 },
      { relPath: 'b.png', label: 1 },
      { relPath: 'c.png', label: 2, split: 'test' },
      { relPath: 'd.png', label: 1 }
    ]
  )
  for (const [i, rel] of ['a.png', 'b.png', 'c.png', 'd.png'].entries())
    writeFileSync(join(fx.root, rel), Buffer.alloc(64, i))
  addUniformRun(fx, [0, 1, 2, 1])
})

afterAll(() => {
  fx?.p.close()
  cleanup?.()
  removeChild?.()
})

function runChild(
  format: ExportFormat,
  out: string,
  killAt: string
): Promise<{ code: number | null; signal: string | null; stderr: string }> {
  return new Promise((res, rej) => {
    const child = spawn(process.execPath, [childJs, fx.file, format, out], {
      env: { ...process.env, POI_KILL_AT: killAt },
      stdio: ['ignore', 'pipe', 'pipe']
    })
    let stderr = ''
    child.stderr.on('data', (d) => (stderr += d))
    child.on('error', rej)
    child.on('exit', (code, signal) => res({ code, signal, stderr }))
  })
}

/** The data an export holds, as `path sha256` lines (the manifest's own createdAt differs between runs). */
async function content(out: string): Promise<string> {
  const v = await verifyExport(out)
  return v.manifest.files.map((f) => `${f.path} ${f.sha256}`).join('\n')
}

/** Names next to `out` (or inside its folder's parent) that belong to an unfinished write. */
function leftovers(out: string): string[] {
  const b = basename(out)
  return readdirSync(dirname(out)).filter((n) => n.startsWith(`${b}.`) && n !== `${b}.manifest.json`)
}

describe('export writers under SIGKILL at every step boundary', () => {
  const cases = [
    ...SINGLE.flatMap(([format, name]) => FILE_STEPS.map((step) => ({ format, name, step }))),
    ...FOLDER.flatMap((format) => DIR_STEPS.map((step) => ({ format, name: 'out', step })))
  ]

  it(`${cases.length} kills: complete old or complete new, never mixed; the next read cleans up`, async () => {
    // The old exports, then a relabel so the new ones differ, then the expected new content.
    const trial = (i: number): string => join(dir, `t${i}`)
    const old: string[] = []
    for (const [i, c] of cases.entries()) {
      mkdirSync(trial(i))
      await exportProject(fx.p.db, { format: c.format, out: join(trial(i), c.name), auditId: null })
      old.push(await content(join(trial(i), c.name)))
    }
    applyChanges(fx.p.db, [{ imageId: fx.ids[3], label: 2, review: 'relabeled' }], { actor: 'ann', source: 'curator' })
    const fresh = new Map<string, string>()
    for (const c of cases) {
      const key = `${c.format} ${c.name}`
      if (fresh.has(key)) continue
      const ref = join(dir, `ref-${c.format}-${c.name}`)
      mkdirSync(ref)
      await exportProject(fx.p.db, { format: c.format, out: join(ref, c.name), auditId: null })
      fresh.set(key, await content(join(ref, c.name)))
    }
    const outcomes: Record<string, number> = { old: 0, new: 0 }
    const bad: string[] = []
    // Two children at a time: each is mostly start-up.
    let next = 0
    const worker = async (): Promise<void> => {
      while (next < cases.length) {
        const i = next++
        const c = cases[i]
        const out = join(trial(i), c.name)
        const r = await runChild(c.format, out, c.step)
        const what = `${c.format} ${c.name} killed at ${c.step}`
        if (r.signal !== 'SIGKILL') {
          bad.push(`${what}: the child was not killed there (${r.code}) ${r.stderr}`)
          continue
        }
        let got: string
        try {
          got = await content(out)
        } catch (e) {
          bad.push(`${what}: unreadable after the kill: ${(e as Error).message}`)
          continue
        }
        if (got === old[i]) outcomes.old++
        else if (got === fresh.get(`${c.format} ${c.name}`)) outcomes.new++
        else bad.push(`${what}: neither the old nor the new export`)
        const left = leftovers(out)
        if (left.length) bad.push(`${what}: leftovers ${left.join(', ')}`)
        // And the next export over it works and leaves nothing behind.
        await exportProject(fx.p.db, { format: c.format, out, overwrite: true, auditId: null })
        if (leftovers(out).length || !existsSync(out))
          bad.push(`${what}: the next export left ${leftovers(out).join(', ')}`)
      }
    }
    await Promise.all([worker(), worker()])
    console.log(
      `export kills: ${cases.length} (${SINGLE.length} single-file × ${FILE_STEPS.length} + ${FOLDER.length} folder × ${DIR_STEPS.length} boundaries): ${outcomes.old} old, ${outcomes.new} new, ${bad.length} bad`
    )
    expect(bad).toEqual([])
    // 40 child processes, each loading the exporter: ~1 min idle, minutes on a loaded 2-core machine.
  }, 600_000)

  it('info on an interrupted export repairs it and says what it found', async () => {
    for (const [format, name, step, found] of [
      [
        'folders',
        'out',
        'dir:old-aside',
        /finished an interrupted export: the complete new folder out\.tmp-\d+-\w+ was moved to/
      ],
      [
        'csv',
        'out.csv',
        'file:data-renamed',
        /finished an interrupted export: .*out\.csv is the new data, so its pending manifest .* was put in place/
      ]
    ] as const) {
      const d = join(dir, `info-${format}`)
      mkdirSync(d)
      const out = join(d, name)
      await exportProject(fx.p.db, { format, out, auditId: null })
      expect((await runChild(format, out, step)).signal).toBe('SIGKILL')
      const o = {
        stdout: '',
        stderr: '',
        out: (x: string) => void (o.stdout += x),
        err: (x: string) => void (o.stderr += x)
      }
      expect(await infoCommand(out, {}, o)).toBe(0)
      expect(o.stderr).toMatch(found)
      expect(o.stdout).toMatch(new RegExp(`${format} export .* every file matches its manifest`))
      expect(leftovers(out)).toEqual([])
    }
  })
})
