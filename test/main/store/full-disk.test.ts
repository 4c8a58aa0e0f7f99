/**
 * A full disk during import, decision, export and checkpoint: nothing half-written, a clear message
 * naming the file and the cause, and the same operation works once space is freed. SQLite's full
 * disk is made with `PRAGMA max_page_count` (SQLITE_FULL, exactly what a full disk returns); file
 * writers get ENOSPC injected at each step of the fs layer (test/main/export/faults.ts).
 */
import { afterAll, beforeAll, describe, expect, it } from 'vitest'
import { existsSync, mkdirSync, readdirSync, renameSync, rmSync, statSync, writeFileSync } from 'node:fs'
import { spawnSync } from 'node:child_process'
import { join } from 'node:path'
import { createProject } from '../../../src-main/core/project'
import { importDataset } from '../../../src-main/core/dataset/index'
import { integrityCheck, openProjectDb } from '../../../src-main/core/store/db'
import type { ProjectError } from '../../../src-main/core/store/errors'
import { storageFailure } from '../../../src-main/core/store/io-errors'
import { createApi } from '../../../src-main/core/api/handlers'
import { exportProject, verifyExport } from '../../../src-main/core/export/index'
import { loadCheckpoint, saveCheckpoint } from '../../../src-main/core/run/checkpoint'
import { resolveTrainConfig } from '../../../src-main/core/run/config'
import { modelConfigFor } from '../../../src-main/core/run/model-config'
import { makeClassFolders } from '../../fixtures-gen/images'
import { tempDir } from '../../helpers/tmp'
import { makeProjectFile } from '../api/fixture'
import { faultyFs, type FaultStep } from '../export/faults'

let dir: string
let cleanup: () => void
beforeAll(() => ({ dir, cleanup } = tempDir('poi-full-')))
afterAll(() => cleanup?.())

const STEPS: FaultStep[] = ['open', 'write', 'fsync', 'rename', 'mkdir']

/** Makes the connection's file unable to grow: the next write that needs a page gets SQLITE_FULL. */
function fillDisk(db: import('better-sqlite3').Database): number {
  const pages = db.pragma('page_count', { simple: true }) as number
  db.pragma(`max_page_count = ${pages}`)
  return pages
}

/**
 * A real full disk: a 4 MiB tmpfs, when this process may mount one (root in a container); else null. Room for a
 * new project's file, its WAL and the checkpoint on close (at 512 KiB a grown schema left the WAL behind: the
 * checkpoint itself ran out of space).
 */
function mountTinyTmpfs(): { dir: string; unmount: () => void } | null {
  const mnt = join(dir, 'tiny')
  mkdirSync(mnt)
  if (spawnSync('mount', ['-t', 'tmpfs', '-o', 'size=4m', 'tmpfs', mnt]).status !== 0) return null
  return { dir: mnt, unmount: () => void spawnSync('umount', [mnt]) }
}

describe('full disk', () => {
  it('opening for writing on a full disk: a clear message, never a 0-byte lock file, works once space is freed', (ctx) => {
    const tiny = mountTinyTmpfs()
    if (!tiny) return ctx.skip()
    try {
      const file = join(tiny.dir, 'p.poi')
      openProjectDb(file, { create: true }).close()
      rmSync(`${file}.lock`) // as a project copied without its lock file
      const filler = join(tiny.dir, 'filler')
      try {
        writeFileSync(filler, Buffer.alloc(8 << 20))
      } catch {
        /* filled the disk up to the last byte */
      }
      const err = (() => {
        try {
          openProjectDb(file).close()
          return null
        } catch (e) {
          return e as ProjectError
        }
      })()
      expect(err?.code).toBe('IO')
      expect(err?.message).toMatch(/cannot create the lock file .*p\.poi\.lock: the disk is full/)
      expect(readdirSync(tiny.dir).sort()).toEqual(['filler', 'p.poi'])
      rmSync(filler)
      openProjectDb(file).close()
      expect(statSync(`${file}.lock`).size).toBeGreaterThan(0)
    } finally {
      tiny.unmount()
    }
  })

  it('import: refused whole with a message naming the project, then works once space is freed', async () => {
    const src = join(dir, 'ds')
    await makeClassFolders(src, { happy: 20, sad: 20 }, { size: 24 })
    const file = join(dir, 'imp.poi')
    const p = createProject(file)
    try {
      fillDisk(p.db)
      const err = await importDataset(p, src).catch((e: unknown) => e)
      const why = storageFailure(err, p.path)
      expect(why?.message).toMatch(new RegExp(`cannot write .*imp\\.poi: the disk is full .*\\[SQLITE_FULL\\]`))
      expect(p.db.prepare('SELECT count(*) AS n FROM images').get()).toEqual({ n: 0 })
      expect(p.db.prepare('SELECT count(*) AS n FROM imports').get()).toEqual({ n: 0 })
      expect(integrityCheck(p.db)).toBe('ok')
      p.db.pragma('max_page_count = 1073741823')
      expect((await importDataset(p, src)).imported).toBe(40)
    } finally {
      p.close()
    }
  })

  it('decision: IO_ERROR naming the file (not INTERNAL), label and history unchanged, then works', async () => {
    const d = join(dir, 'dec')
    mkdirSync(d, { recursive: true })
    const f = await makeProjectFile(d, 12)
    const api = createApi({ mode: 'test', actor: 'ann' })
    try {
      expect(await api.dispatch('project.open', { path: f.file })).toMatchObject({ ok: true })
      const db = api.session.project!.db
      fillDisk(db)
      const state = () =>
        db
          .prepare(
            'SELECT (SELECT count(*) FROM label_history) AS h, (SELECT group_concat(current_label) FROM annotations) AS l'
          )
          .get()
      let failed: { ok: boolean; code?: string; message?: string } | null = null
      let before = state()
      for (let i = 0; i < 2000 && !failed; i++) {
        before = state()
        const r = (await api.dispatch('review.decide', {
          imageId: 1 + (i % 12),
          decision: { kind: 'relabel', label: i % 7 },
          reason: 'x'.repeat(200)
        })) as { ok: boolean }
        if (!r.ok) failed = r
      }
      expect(failed).toMatchObject({
        ok: false,
        code: 'IO_ERROR',
        message: expect.stringMatching(/cannot write .*p\.poi: the disk is full/)
      })
      expect(state()).toEqual(before)
      db.pragma('max_page_count = 1073741823')
      expect(
        await api.dispatch('review.decide', { imageId: 3, decision: { kind: 'relabel', label: 6 } })
      ).toMatchObject({ ok: true })
      expect(integrityCheck(db)).toBe('ok')
    } finally {
      await api.close()
    }
  })

  it('export: ENOSPC at every step leaves the old export as it was and no leftovers, then works', async () => {
    const d = join(dir, 'exp')
    mkdirSync(d, { recursive: true })
    const f = await makeProjectFile(d, 6)
    const api = createApi({ mode: 'test', actor: 'ann' })
    try {
      await api.dispatch('project.open', { path: f.file })
      const db = api.session.project!.db
      for (const [kind, out] of [
        ['single', join(d, 'out.csv')],
        ['folder', join(d, 'out')]
      ] as const) {
        await exportProject(db, { format: 'csv', out, auditId: null })
        const old = (await verifyExport(out)).manifest.files
        for (const step of STEPS) {
          const fs = faultyFs(step, 'ENOSPC')
          const err = await exportProject(db, { format: 'csv', out, overwrite: true, auditId: null, fs }).catch(
            (e: unknown) => e as Error
          )
          if (!fs.fired) continue // this writer has no such step
          expect(String(err), `${kind} ${step}`).toMatch(/disk is full/)
          expect((await verifyExport(out)).manifest.files, `${kind} ${step}`).toEqual(old)
          expect(
            readdirSync(d).filter((n) => /\.(tmp|pending)|\.tmp-|\.old-/.test(n)),
            `${kind} ${step}`
          ).toEqual([])
        }
        await exportProject(db, { format: 'csv', out, overwrite: true, auditId: null })
      }
    } finally {
      await api.close()
    }
  })

  it('checkpoint: ENOSPC at every step leaves the previous checkpoint loadable and nothing else, then works', async () => {
    const cfg = resolveTrainConfig(
      { backbone: 'slim', widths: [4, 8, 8, 8], blocks: [1, 1, 1, 1], epochs: 2 },
      { inputSize: 24, channels: 1 }
    )
    const input = {
      runId: 1,
      trainConfig: cfg,
      modelConfig: modelConfigFor(cfg, ['neutral', 'happiness']),
      position: { fold: -1, epoch: 1, step: 0 },
      weights: new Map([['w', { shape: [2, 2], data: new Float32Array([1, 2, 3, 4]) }]]),
      optimizer: {
        lr: 0.1,
        momentum: 0.9,
        weightDecay: 0,
        weightDecayMode: 'l2',
        step: 3,
        slots: new Map([['w', { shape: [2, 2], data: new Float32Array(4) }]])
      },
      history: []
    } as unknown as Parameters<typeof saveCheckpoint>[1]
    const ck = join(dir, 'ck')
    const path = await saveCheckpoint(ck, input)
    for (const step of STEPS) {
      const fs = faultyFs(step, 'ENOSPC')
      const err = await saveCheckpoint(ck, { ...input, history: [{ epoch: 1 }], fs }).catch((e: unknown) => e as Error)
      if (!fs.fired) continue
      expect(String(err), step).toMatch(/disk is full/)
      expect((await loadCheckpoint(path)).manifest.history, step).toEqual([])
      expect(readdirSync(ck), step).toEqual([path.split('/').pop()])
    }
    await saveCheckpoint(ck, { ...input, history: [{ epoch: 1 }] })
    expect((await loadCheckpoint(path)).manifest.history).toEqual([{ epoch: 1 }])
    expect(existsSync(path)).toBe(true)
    // A save killed between its renames (pid 2^22+1: no such process) left the folder aside and an
    // unfinished new one: loading restores the old one and removes the rest.
    renameSync(path, `${path}.old-4194305-aa11`)
    mkdirSync(`${path}.tmp-4194305-bb22`)
    expect((await loadCheckpoint(path)).manifest.history).toEqual([{ epoch: 1 }])
    expect(readdirSync(ck)).toEqual([path.split('/').pop()])
  })
})
