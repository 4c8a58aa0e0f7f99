/**
 * One exit-code table for every command (README: 0 ok, 1 runtime, 2 usage, 3 bad input, 4 locked or
 * from a newer version): each command that takes a project runs on each bad-input fixture and must
 * answer README's code, with a message naming the file.
 */
import { afterAll, beforeAll, describe, expect, it } from 'vitest'
import { existsSync, readdirSync, readFileSync, writeFileSync } from 'node:fs'
import { join } from 'node:path'
import Database from 'better-sqlite3'
import { tempDir } from '../../helpers/tmp'
import { makeClassFolders } from '../../fixtures-gen/images'
import { openProjectDb } from '../../../src-main/core/store/db'
import { auditCommand } from '../../../src-main/cli/commands/audit'
import { exportCommand } from '../../../src-main/cli/commands/export'
import { importCommand } from '../../../src-main/cli/commands/import'
import { infoCommand } from '../../../src-main/cli/commands/info'
import { initCommand } from '../../../src-main/cli/commands/init'
import { scoreCommand } from '../../../src-main/cli/commands/score'
import { trainCommand } from '../../../src-main/cli/commands/train'
import { buildProgram } from '../../../src-main/cli/program'
import { EXIT, EXIT_CODES_HELP, type CliIo } from '../../../src-main/cli/ui/io'

let dir: string
let cleanup: () => void
let source: string

function io(): CliIo & { stdout: string; stderr: string } {
  const o = {
    stdout: '',
    stderr: '',
    out: (s: string) => void (o.stdout += s),
    err: (s: string) => void (o.stderr += s)
  }
  return o
}

type Run = (project: string, io: CliIo) => Promise<number>
const COMMANDS: Record<string, Run> = {
  info: (p, o) => infoCommand(p, {}, o),
  import: (p, o) => importCommand(p, source, { align: 'never' }, o),
  audit: (p, o) => auditCommand(p, {}, o),
  export: (p, o) => exportCommand(p, { format: 'csv', out: join(dir, `out-${Math.random()}.csv`) }, o),
  score: (p, o) => scoreCommand(p, { run: 1 }, o),
  train: (p, o) => trainCommand(p, {}, o)
}

/** Runs `serve` through the real command tree; returns its exit code. */
async function serve(project: string): Promise<number> {
  const before = process.exitCode
  process.exitCode = undefined
  const err = console.error
  console.error = () => {}
  try {
    await buildProgram().parseAsync(['node', 'poi-audit', 'serve', project, '--static', dir])
    return Number(process.exitCode ?? 0)
  } finally {
    console.error = err
    process.exitCode = before
  }
}

const FIXTURES: Record<string, { code: number; make: () => string }> = {}

beforeAll(async () => {
  ;({ dir, cleanup } = tempDir('poi-exit-'))
  source = join(dir, 'ds')
  await makeClassFolders(source, { happy: 1 })
  writeFileSync(join(dir, 'index.html'), '<!doctype html>')
  const mk = (name: string, fill: (f: string) => void): string => {
    const f = join(dir, name)
    fill(f)
    return f
  }
  FIXTURES['missing file'] = { code: EXIT.badInput, make: () => join(dir, 'nope.poi') }
  FIXTURES['not SQLite'] = {
    code: EXIT.badInput,
    make: () => mk('text.poi', (f) => writeFileSync(f, 'hello, not a database\n'))
  }
  FIXTURES['empty file'] = { code: EXIT.badInput, make: () => mk('empty.poi', (f) => writeFileSync(f, '')) }
  FIXTURES['another application'] = {
    code: EXIT.badInput,
    make: () =>
      mk('other.poi', (f) => {
        const db = new Database(f)
        db.exec('CREATE TABLE t (a)')
        db.pragma('application_id = 1234')
        db.close()
      })
  }
  FIXTURES['newer version'] = {
    code: EXIT.locked,
    make: () =>
      mk('future.poi', (f) => {
        openProjectDb(f, { create: true }).close()
        const db = new Database(f)
        db.pragma('user_version = 99990')
        db.close()
      })
  }
})
afterAll(() => cleanup?.())

describe('exit codes', () => {
  it("every command answers README's code for every bad input, naming the file", async () => {
    const got: string[] = []
    const want: string[] = []
    for (const [fixture, { code, make }] of Object.entries(FIXTURES)) {
      const file = make()
      for (const [name, run] of Object.entries(COMMANDS)) {
        const o = io()
        const c = await run(file, o)
        got.push(`${name} on ${fixture}: ${c}${o.stderr.includes(file) ? '' : ' (message does not name the file)'}`)
        want.push(`${name} on ${fixture}: ${code}`)
      }
      got.push(`serve on ${fixture}: ${await serve(file)}`)
      want.push(`serve on ${fixture}: ${code}`)
    }
    expect(got).toEqual(want)
  })

  it('a locked project is 4 from every writing command, serve included', async () => {
    const file = join(dir, 'locked.poi')
    await initCommand(file, {}, io())
    const holder = openProjectDb(file)
    try {
      for (const name of ['import', 'audit', 'score', 'train'] as const) {
        const o = io()
        expect(await COMMANDS[name](file, o), name).toBe(EXIT.locked)
        expect(o.stderr, name).toMatch(/open for writing by process \d+/)
      }
      expect(await serve(file)).toBe(EXIT.locked)
    } finally {
      holder.close()
    }
  })

  it('import refuses an empty file unless --create, and a refused --create leaves nothing', async () => {
    const empty = join(dir, 'e2.poi')
    writeFileSync(empty, '')
    const o = io()
    expect(await importCommand(empty, source, { align: 'never' }, o)).toBe(EXIT.badInput)
    expect(o.stderr).toMatch(/is empty, not a POI Audit project/)
    expect(readFileSync(empty).length).toBe(0)
    expect(await importCommand(empty, source, { align: 'never', create: true }, io())).toBe(EXIT.ok)
    const bad = join(dir, 'bad.csv')
    writeFileSync(bad, 'path,label\nnot-there.png,nosuchclass\n')
    const fresh = join(dir, 'sub-refused.poi')
    expect(await importCommand(fresh, bad, { align: 'never', create: true }, io())).toBe(EXIT.badInput)
    expect(readdirSync(dir).filter((n) => n.startsWith('sub-refused'))).toEqual([])
    expect(existsSync(fresh)).toBe(false)
  })

  it('every command lists the one exit-code table in --help', () => {
    const program = buildProgram()
    for (const c of program.commands)
      expect(c.helpInformation() + (c as unknown as { _helpText?: string })._helpText, c.name()).toBeDefined()
    let text = ''
    for (const c of program.commands) {
      c.configureOutput({ writeOut: (s) => (text = s), writeErr: () => {} })
      text = ''
      c.outputHelp()
      expect(text, c.name()).toContain(EXIT_CODES_HELP)
    }
    expect(readFileSync('README.md', 'utf8')).toContain('Exit codes: 0 ok, 1 runtime error')
  })
})
