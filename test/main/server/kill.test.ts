/**
 * `serve` under SIGKILL during a tight loop of decisions through the HTTP API, TRIALS times on one
 * project: every decision acknowledged (2xx, ok) before the kill is in the project, in order;
 * each image's label equals its last history row; integrity_check is ok; and the next server
 * start takes the project over at once (the OS released the dead server's lock).
 */
import { afterAll, beforeAll, describe, expect, it } from 'vitest'
import { spawn, type ChildProcess } from 'node:child_process'
import { writeFileSync } from 'node:fs'
import { join } from 'node:path'
import { createClient, httpTransport } from '../../../src-main/core/api/client'
import { integrityCheck, openProjectDb } from '../../../src-main/core/store/db'
import { bundleChild } from '../../helpers/child'
import { tempDir } from '../../helpers/tmp'
import { makeProjectFile, type ProjectFixture } from '../api/fixture'

const TRIALS = Number(process.env.POI_SERVE_KILLS ?? 10)
const IMAGES = 12
const TOKEN = 'k'.repeat(40)

let dir: string
let cleanup: () => void
let childJs: string
let removeChild: () => void
let f: ProjectFixture

beforeAll(async () => {
  ;({ dir, cleanup } = tempDir('poi-serve-kill-'))
  ;({ js: childJs, remove: removeChild } = await bundleChild('test/fixtures-gen/serve-child.ts'))
  f = await makeProjectFile(dir, IMAGES)
  writeFileSync(join(dir, 'index.html'), '<!doctype html>')
})
afterAll(() => {
  cleanup?.()
  removeChild?.()
})

function start(): Promise<{ child: ChildProcess; url: string; exited: Promise<void> }> {
  return new Promise((res, rej) => {
    const child = spawn(process.execPath, [childJs, f.file, dir, TOKEN], { stdio: ['ignore', 'pipe', 'pipe'] })
    const exited = new Promise<void>((r) => child.on('exit', () => r()))
    let out = ''
    let err = ''
    child.stderr!.on('data', (d) => (err += d))
    child.stdout!.on('data', (d) => {
      out += d
      const m = /url (\S+)/.exec(out)
      if (m) res({ child, url: m[1], exited })
    })
    child.on('exit', (code) => rej(new Error(`serve child exited (${code}) before listening: ${err}`)))
  })
}

interface Acked {
  imageId: number
  label: number
}

describe('serve under SIGKILL', () => {
  it(`${TRIALS} kills during a decision loop: every acknowledged decision stored, labels = last history row`, async () => {
    let seed = 7
    const rand = (n: number): number => (seed = (seed * 48271) % 2147483647) % n
    let totalAcked = 0
    // Each decision changes the label (a relabel to the same label writes no history row).
    const current = new Map<number, number>()
    const readState = (): number => {
      const p = openProjectDb(f.file, { readonly: true })
      try {
        for (const r of p.db.prepare('SELECT image_id, current_label FROM annotations').all() as {
          image_id: number
          current_label: number
        }[]) {
          current.set(r.image_id, r.current_label)
        }
        return (p.db.prepare('SELECT coalesce(max(id), 0) AS m FROM label_history').get() as { m: number }).m
      } finally {
        p.close()
      }
    }
    let maxHistoryId = readState()
    for (let t = 0; t < TRIALS; t++) {
      const t0 = performance.now()
      const { child, url, exited } = await start()
      const takeoverMs = performance.now() - t0
      const api = createClient(httpTransport({ base: url, token: TOKEN }))
      const acked: Acked[] = []
      let stop = false
      const killAfter = 150 + rand(400)
      const loop = (async () => {
        while (!stop) {
          const imageId = 1 + rand(IMAGES)
          const d = { imageId, label: (current.get(imageId)! + 1 + rand(6)) % 7 }
          const r = await api.review.decide({ imageId: d.imageId, decision: { kind: 'relabel', label: d.label } })
          if (r.ok) {
            acked.push(d)
            current.set(imageId, d.label)
          } else if (!stop) throw new Error(`decision refused before the kill: ${r.code} ${r.message}`)
        }
      })()
      await new Promise((r) => setTimeout(r, killAfter))
      child.kill('SIGKILL')
      stop = true
      await exited
      await loop.catch(() => undefined)
      totalAcked += acked.length
      // The dead server's lock is free at once: this writer open succeeds without waiting.
      const p = openProjectDb(f.file)
      try {
        expect(integrityCheck(p.db)).toBe('ok')
        const rows = p.db
          .prepare('SELECT id, image_id, new_label FROM label_history WHERE id > ? ORDER BY id')
          .all(maxHistoryId) as {
          id: number
          image_id: number
          new_label: number
        }[]
        // Decisions go one at a time: history holds exactly the acknowledged ones, plus at most the one in flight.
        expect(rows.length - acked.length, `trial ${t}`).toBeGreaterThanOrEqual(0)
        expect(rows.length - acked.length, `trial ${t}`).toBeLessThanOrEqual(1)
        expect(rows.slice(0, acked.length).map((r) => ({ imageId: r.image_id, label: r.new_label }))).toEqual(acked)
        maxHistoryId = rows.at(-1)?.id ?? maxHistoryId
        const mismatched = p.db
          .prepare(
            `SELECT a.image_id FROM annotations a
             JOIN label_history h ON h.id = (SELECT max(id) FROM label_history WHERE image_id = a.image_id)
             WHERE a.current_label IS NOT h.new_label`
          )
          .all()
        expect(mismatched).toEqual([])
      } finally {
        p.close()
      }
      expect(takeoverMs).toBeLessThan(30_000)
      maxHistoryId = Math.max(maxHistoryId, readState())
    }
    console.log(`serve kills: ${TRIALS} trials, ${totalAcked} decisions acknowledged, all stored`)
    expect(totalAcked).toBeGreaterThan(TRIALS)
  }, 600_000)
})
