/**
 * A project this user cannot write, made real: the CLI runs as another user (uid/gid 65534,
 * "nobody") on root's files, since root itself ignores file modes. `serve` warns at start and serves
 * the project read-only (browsing works); a decision then answers IO_ERROR naming the file and the
 * cause (not INTERNAL "internal error in review.decide") and changes nothing; `import` exits 1
 * (README: runtime error) with a message naming the file and the cause. In a read-only folder,
 * where SQLite cannot even read a WAL project, `serve` refuses with exit 1 naming the file.
 */
import { afterAll, beforeAll, describe, expect, it } from 'vitest'
import { spawn, spawnSync } from 'node:child_process'
import { chmodSync, chownSync, mkdirSync, readdirSync, writeFileSync } from 'node:fs'
import { join } from 'node:path'
import { createClient, httpTransport } from '../../../src-main/core/api/client'
import { openProjectDb } from '../../../src-main/core/store/db'
import { EXIT } from '../../../src-main/cli/ui/io'
import { bundleChild } from '../../helpers/child'
import { tempDir } from '../../helpers/tmp'
import { makeClassFolders } from '../../fixtures-gen/images'
import { makeProjectFile, type ProjectFixture } from '../api/fixture'

const NOBODY = 65534

let dir: string
let cleanup: () => void
let cli: string
let removeCli: () => void
/** Why this machine cannot run the CLI as another user, or null. */
let cannot: string | null = null

beforeAll(async () => {
  ;({ dir, cleanup } = tempDir('poi-ro-'))
  chmodSync(dir, 0o755)
  ;({ js: cli, remove: removeCli } = await bundleChild('src-main/cli/index.ts'))
  if (process.getuid?.() !== 0) cannot = 'not running as root: cannot start a child as another user'
  else {
    const probe = spawnSync(process.execPath, [cli, '--version'], { uid: NOBODY, gid: NOBODY, encoding: 'utf8' })
    if (probe.error || probe.status !== 0)
      cannot = `the CLI does not start as uid ${NOBODY}: ${probe.error?.message ?? probe.stderr}`
  }
  if (cannot) console.log(`read-only tests skipped: ${cannot}`)
})
afterAll(() => {
  cleanup?.()
  removeCli?.()
})

/** A project in `<dir>/<name>/` owned by root (0644); with `folderWritable`, the folder belongs to nobody. */
async function readOnlyProject(name: string, folderWritable: boolean): Promise<ProjectFixture & { folder: string }> {
  const folder = join(dir, name)
  mkdirSync(folder, { mode: 0o755 })
  const f = await makeProjectFile(folder, 6)
  writeFileSync(join(folder, 'index.html'), '<!doctype html>')
  // SQLite needs a writable folder for a WAL reader's shared-memory file; the project stays root's.
  if (folderWritable) chownSync(folder, NOBODY, NOBODY)
  return { ...f, folder }
}

function history(file: string): { rows: number; labels: number[] } {
  const p = openProjectDb(file, { readonly: true })
  try {
    const rows = (p.db.prepare('SELECT count(*) AS n FROM label_history').get() as { n: number }).n
    const labels = (
      p.db.prepare('SELECT current_label FROM annotations ORDER BY image_id').all() as { current_label: number }[]
    ).map((r) => r.current_label)
    return { rows, labels }
  } finally {
    p.close()
  }
}

/** Starts `poi-audit serve` as nobody; resolves with its sign-in URL and what it printed, or its exit. */
function serveAsNobody(f: {
  file: string
  folder: string
}): Promise<{ url: string | null; stderr: string; code: number | null; kill: () => Promise<void> }> {
  return new Promise((res) => {
    const child = spawn(process.execPath, [cli, 'serve', f.file, '--static', f.folder], {
      uid: NOBODY,
      gid: NOBODY,
      stdio: ['ignore', 'pipe', 'pipe']
    })
    const exited = new Promise<void>((r) => child.on('exit', () => r()))
    const kill = async (): Promise<void> => {
      child.kill('SIGKILL')
      await exited
    }
    let out = ''
    let stderr = ''
    child.stderr.on('data', (d) => (stderr += d))
    child.stdout.on('data', (d) => {
      out += d
      const m = /(http:\/\/\S+)/.exec(out)
      if (m) res({ url: m[1], stderr, code: null, kill })
    })
    child.on('exit', (code) => res({ url: null, stderr, code, kill }))
  })
}

describe('a read-only project', () => {
  it('serve warns at start, serves it read-only, and a decision answers IO_ERROR naming the file and cause', async (ctx) => {
    if (cannot) return ctx.skip()
    const f = await readOnlyProject('served', true)
    const before = history(f.file)
    const s = await serveAsNobody(f)
    try {
      expect(s.url, `serve did not start: exit ${s.code}, stderr: ${s.stderr}`).not.toBeNull()
      expect(s.stderr).toContain(`warning: ${f.file} is read-only`)
      expect(s.stderr).toContain('decisions cannot be saved')
      const login = new URL(s.url!)
      const api = createClient(httpTransport({ base: login.origin, token: login.searchParams.get('token')! }))
      const info = await api.project.info()
      expect(info.ok && info.value.counts.images).toBe(6)
      const r = await api.review.decide({
        imageId: f.ids[0],
        decision: { kind: 'relabel', label: (before.labels[0] + 1) % 7 }
      })
      expect(r.ok).toBe(false)
      if (r.ok) return
      expect(r.code).toBe('IO_ERROR')
      expect(r.message).toContain(f.file)
      expect(r.message).toMatch(/read-only/)
      expect(r.message).not.toMatch(/internal error/)
    } finally {
      await s.kill()
    }
    expect(history(f.file)).toEqual(before)
  }, 60_000)

  it('serve in a read-only folder refuses with exit 1 naming the file and the cause', async (ctx) => {
    if (cannot) return ctx.skip()
    const f = await readOnlyProject('folder', false)
    const s = await serveAsNobody(f)
    if (s.url) await s.kill()
    expect(s.url).toBeNull()
    expect(s.code).toBe(EXIT.error)
    expect(s.stderr).toContain(f.file)
    expect(s.stderr).toMatch(/read-only/)
    expect(readdirSync(f.folder).sort()).toEqual(['data', 'index.html', 'p.poi', 'p.poi.lock'])
  }, 60_000)

  it('import into it exits 1 naming the file and the cause, and changes nothing', async (ctx) => {
    if (cannot) return ctx.skip()
    const f = await readOnlyProject('imported', true)
    const source = join(dir, 'ds')
    await makeClassFolders(source, { happy: 2 })
    const before = history(f.file)
    const r = spawnSync(process.execPath, [cli, 'import', f.file, source, '--align', 'never'], {
      uid: NOBODY,
      gid: NOBODY,
      encoding: 'utf8'
    })
    expect(r.status, r.stderr).toBe(EXIT.error)
    expect(r.stderr).toContain(f.file)
    expect(r.stderr).toMatch(/read-only/)
    expect(history(f.file)).toEqual(before)
  }, 60_000)
})
