import { afterEach, describe, expect, it } from 'vitest'
import { spawnSync } from 'node:child_process'
import { existsSync, readdirSync, writeFileSync } from 'node:fs'
import { join, resolve } from 'node:path'
import { tempDir } from '../../helpers/tmp'
import { addUniformRun, makeProject, type Fixture } from './helpers'
import { auditCommand } from '../../../src-main/cli/commands/audit'
import type { CliIo } from '../../../src-main/cli/ui/io'
import { exportCommand } from '../../../src-main/cli/commands/export'
import { openProject } from '../../../src-main/core/project'
import { readCsvExport } from '../../../src-main/core/export/index'

let cleanup: (() => void) | null = null
afterEach(() => {
  cleanup?.()
  cleanup = null
})

function io(): CliIo & { stdout: string; stderr: string } {
  const o = {
    stdout: '',
    stderr: '',
    out: (s: string) => void (o.stdout += s),
    err: (s: string) => void (o.stderr += s)
  }
  return o
}

/** A closed project file with 8 images (one planted error: #3 labelled neutral, looks happy) and a run. */
function project(withRun = true): { file: string; dir: string; f: Fixture } {
  const t = tempDir('poi-cli-')
  cleanup = t.cleanup
  const f = makeProject(
    t.dir,
    ['neutral', 'happiness', 'surprise'],
    [
      { relPath: 'a.png', label: 0 },
      { relPath: 'b.png', label: 0 },
      { relPath: 'c.png', label: 0 },
      { relPath: 'd.png', label: 1 },
      { relPath: 'e.png', label: 1 },
      { relPath: 'f.png', label: 2 },
      { relPath: 'g.png', label: 2 },
      { relPath: 'h.png', label: null }
    ]
  )
  if (withRun) addUniformRun(f, [0, 0, 1, 1, 1, 2, 2, null])
  f.p.close()
  return { file: f.file, dir: t.dir, f }
}

describe('poi-audit audit / export (in process)', () => {
  it('audit prints the class × flag table and the top suspects with explanations', async () => {
    const { file } = project()
    const o = io()
    expect(await auditCommand(file, { top: '3' }, o)).toBe(0)
    expect(o.stdout).toMatch(/^Audit 1 of run 1 \(poi\): 8 images, 7 scored/)
    expect(o.stdout).toMatch(/class\s+images\s+likely_mislabeled\s+ambiguous/)
    expect(o.stdout).toMatch(/neutral\s+3\s+1\s/)
    expect(o.stdout).toContain('Top 3 suspects')
    expect(o.stdout).toMatch(
      /1\. #3 c\.png {2}score \d\.\d{3} {2}neutral → happiness \(\d\.\d\d\) {2}\[likely_mislabeled/
    )
    expect(o.stdout).toContain('labelled: neutral; suggested: happiness')
    const j = io()
    expect(await auditCommand(file, { json: true, method: 'cl', threshold: ['cl.ranking=normalized_margin'] }, j)).toBe(
      0
    )
    const parsed = JSON.parse(j.stdout)
    expect(parsed.method).toBe('cl')
    expect(parsed.top[0].imageId).toBe(3)
    expect(parsed.top[0].path).toBe('c.png')
  })

  it('audit exit codes: 2 usage, 3 bad input', async () => {
    const { file, dir } = project(false)
    const cases: [Parameters<typeof auditCommand>[1], number, RegExp][] = [
      [{ method: 'magic' }, 2, /--method must be poi or cl/],
      [{ threshold: ['ambiguous.confidencePercentile=2'] }, 2, /ambiguous.confidencePercentile/],
      [{ threshold: ['nonsense'] }, 2, /expected path=value/],
      [{ top: '0' }, 2, /--top must be a positive integer/],
      [{}, 3, /has no finished training run/],
      [{ run: '7' }, 3, /no run 7/]
    ]
    for (const [opts, code, msg] of cases) {
      const o = io()
      expect(await auditCommand(file, opts, o)).toBe(code)
      expect(o.stderr).toMatch(msg)
    }
    const o = io()
    expect(await auditCommand(join(dir, 'missing.poi'), {}, o)).toBe(3)
    expect(o.stderr).toMatch(/no project file/)
  })

  it('export writes each scope and reports usage and input errors with their codes', async () => {
    const { file, dir } = project()
    expect(await auditCommand(file, {}, io())).toBe(0)
    const o = io()
    expect(
      await exportCommand(
        file,
        { format: 'csv', out: join(dir, 'out'), scope: 'flagged', flags: 'likely_mislabeled' },
        o
      )
    ).toBe(0)
    expect(o.stdout).toMatch(/Exported 1 csv records to .*out in/)
    expect((await readCsvExport(join(dir, 'out'))).rows.map((r) => r.path)).toEqual(['c.png'])
    writeFileSync(join(dir, 'ids.txt'), '1, 2\n8\n')
    expect(
      await exportCommand(file, { format: 'jsonl', out: join(dir, 'ids.jsonl'), ids: join(dir, 'ids.txt') }, io())
    ).toBe(0)
    writeFileSync(join(dir, 'bad-ids.txt'), '1\n2 x3\n')
    const cases: [Parameters<typeof exportCommand>[1], number, RegExp][] = [
      [{ format: 'xml', out: join(dir, 'x') }, 2, /--format must be one of csv, jsonl/],
      [{ format: 'csv' }, 2, /--out PATH is required/],
      [{ format: 'csv', out: join(dir, 'y'), scope: 'some' }, 2, /--scope must be/],
      [{ format: 'csv', out: join(dir, 'y'), scope: 'flagged', flags: 'odd' }, 2, /unknown flag odd/],
      [{ format: 'csv', out: join(dir, 'out') }, 3, /already exists/],
      [
        { format: 'csv', out: join(dir, 'z'), ids: join(dir, 'bad-ids.txt') },
        3,
        /bad-ids.txt:2: "x3" is not an image id/
      ],
      [{ format: 'csv', out: join(dir, 'z'), audit: '99' }, 3, /no audit 99/]
    ]
    for (const [opts, code, msg] of cases) {
      const e = io()
      expect(await exportCommand(file, opts, e)).toBe(code)
      expect(e.stderr).toMatch(msg)
    }
    expect(existsSync(join(dir, 'z'))).toBe(false)
    expect(readdirSync(dir).filter((n) => n.includes('.tmp'))).toEqual([])
  })
})

describe('poi-audit (the real CLI process)', () => {
  const cli = (args: string[]) =>
    spawnSync(process.execPath, ['--import', 'tsx', resolve('src-main/cli/index.ts'), ...args], {
      encoding: 'utf8',
      timeout: 60_000
    })

  it('exits 2 on an unknown option and 4 when another process holds the project', () => {
    const { file, dir } = project()
    const usage = cli(['export', file, '--format', 'csv', '--out', join(dir, 'o'), '--colour'])
    expect(usage.status).toBe(2)
    expect(usage.stderr).toMatch(/unknown option '--colour'/)
    const holder = openProject(file)
    try {
      const locked = cli(['audit', file])
      expect(locked.status).toBe(4)
      expect(locked.stderr).toMatch(/open for writing by process/)
    } finally {
      holder.close()
    }
  })
})
