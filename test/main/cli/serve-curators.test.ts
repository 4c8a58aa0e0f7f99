/**
 * `poi-audit serve --curators alice,bob` as a real child process (issue 17): one sign-in URL per curator is
 * printed, each signs its curator in; bad names are a usage error (exit 2) that says what a name may be.
 */
import { afterAll, beforeAll, describe, expect, it } from 'vitest'
import { spawn } from 'node:child_process'
import { writeFileSync } from 'node:fs'
import { join } from 'node:path'
import { tempDir } from '../../helpers/tmp'
import { makeProjectFile, type ProjectFixture } from '../api/fixture'
import { cliCommand, REPO } from '../../e2e/serve'
import { cookieOf, rawHttp } from '../server/raw-http'

let dir: string
let cleanup: () => void
let f: ProjectFixture

beforeAll(async () => {
  ;({ dir, cleanup } = tempDir('poi-serve-curators-'))
  f = await makeProjectFile(dir, 6)
  writeFileSync(join(dir, 'index.html'), '<!doctype html>')
})
afterAll(() => cleanup())

/** Runs serve with `extra`; resolves when `done(output)` holds or the process exits. */
function serve(extra: string[], done: (out: string) => boolean) {
  const [cmd, argv] = cliCommand(['serve', f.file, '--static', dir, ...extra])
  const child = spawn(cmd, argv, { cwd: REPO, stdio: ['ignore', 'pipe', 'pipe'] })
  let out = ''
  const exited = new Promise<number | null>((r) => child.once('exit', (code) => r(code)))
  const ready = new Promise<{ out: string; code: number | null }>((res) => {
    const on = (d: Buffer): void => {
      out += d.toString()
      if (done(out)) res({ out, code: null })
    }
    child.stdout.on('data', on)
    child.stderr.on('data', on)
    void exited.then((code) => res({ out, code }))
  })
  return {
    ready,
    async stop(): Promise<void> {
      if (child.exitCode === null) child.kill('SIGTERM')
      await exited
    }
  }
}

const LOGIN = /^ {2}(\S+) +(http:\/\/127\.0\.0\.1:\d+\/\?token=[A-Za-z0-9_-]+)$/gm

describe('serve --curators', () => {
  it('prints one sign-in URL per curator, and each signs in as that curator', async () => {
    const s = serve(['--curators', 'alice,bob'], (o) => [...o.matchAll(LOGIN)].length === 2)
    try {
      const { out, code } = await s.ready
      expect(code, out).toBeNull()
      const logins = [...out.matchAll(LOGIN)].map((m) => [m[1], new URL(m[2])] as const)
      expect(logins.map(([who]) => who)).toEqual(['alice', 'bob'])
      for (const [who, url] of logins) {
        const port = Number(url.port)
        const signed = await rawHttp(port, 'GET', url.pathname + url.search)
        expect(signed.status).toBe(303)
        const info = await rawHttp(
          port,
          'POST',
          '/api/app.info',
          { cookie: cookieOf(signed), 'content-type': 'application/json' },
          '{}'
        )
        expect(JSON.parse(info.body.toString())).toMatchObject({ ok: true, value: { actor: who } })
      }
    } finally {
      await s.stop()
    }
  }, 90_000)

  it('refuses a bad or repeated curator name with a usage error', async () => {
    for (const [names, why] of [
      ['alice,b ob', /--curators: curator name "b ob" is not valid: use 1–40 characters/],
      ['alice,alice', /--curators: curator alice is named twice/]
    ] as const) {
      const s = serve(['--curators', names], () => false)
      const { out, code } = await s.ready
      expect(code, out).toBe(2)
      expect(out).toMatch(why)
    }
  }, 90_000)
})
