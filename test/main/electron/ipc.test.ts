import { afterAll, beforeAll, describe, expect, it } from 'vitest'
import { createApi, type Api } from '../../../src-main/core/api/handlers'
import { forwardEvents, registerApiIpc, type EventTarget, type InvokeEventLike } from '../../../src-main/electron/ipc'
import { METHOD_NAMES, ipcChannel } from '../../../src-main/core/api/methods'
import type { ApiEvent, ApiResult } from '../../../src-main/core/api/contract'
import { tempDir } from '../../helpers/tmp'
import { makeProjectFile, type ProjectFixture } from '../api/fixture'
import { Fuzzer, isMalformed } from '../api/fuzz'

type Handler = (event: InvokeEventLike, ...args: unknown[]) => Promise<ApiResult<unknown>>

/** ipcMain stand-in: records handlers; `invoke` runs one like Electron would (args structured-cloned). */
class FakeIpcMain {
  handlers = new Map<string, Handler>()
  handle(channel: string, h: Handler): void {
    if (this.handlers.has(channel)) throw new Error(`second handler for ${channel}`)
    this.handlers.set(channel, h)
  }
  removeHandler(channel: string): void {
    this.handlers.delete(channel)
  }
  invoke(
    channel: string,
    frame: { url: string; parent: unknown } | null,
    ...args: unknown[]
  ): Promise<ApiResult<unknown>> {
    const h = this.handlers.get(channel)
    if (!h) throw new Error(`no handler for ${channel}`)
    return h({ senderFrame: frame } as unknown as InvokeEventLike, ...args.map((a) => structuredClone(a)))
  }
}

const UI = { url: 'app://bundle/index.html', parent: null }
let cleanup: () => void
let api: Api
let f: ProjectFixture
const ipc = new FakeIpcMain()
let dispose: () => void

const history = () =>
  (api.session.require().db.prepare('SELECT count(*) AS n FROM label_history').get() as { n: number }).n
const changes = () => (api.session.require().db.prepare('SELECT total_changes() AS n').get() as { n: number }).n

beforeAll(async () => {
  const t = tempDir('poi-ipc-')
  cleanup = t.cleanup
  f = await makeProjectFile(t.dir, 15)
  api = createApi({ mode: 'electron' })
  api.session.open(f.file)
  dispose = registerApiIpc(ipc as never, api)
})
afterAll(async () => {
  dispose()
  await api.close()
  cleanup()
})

describe('IPC wrapper', () => {
  it('registers one channel per method, all with our prefix', () => {
    expect([...ipc.handlers.keys()].sort()).toEqual(METHOD_NAMES.map(ipcChannel).sort())
    expect([...ipc.handlers.keys()].every((c) => c.startsWith('poi:api:'))).toBe(true)
  })

  it('answers our main frame and refuses subframes, other origins and gone frames without dispatching', async () => {
    expect(await ipc.invoke(ipcChannel('project.info'), UI, {})).toMatchObject({ ok: true, value: { path: f.file } })
    const before = history()
    const decide = ipcChannel('review.decide')
    const args = { imageId: 3, decision: { kind: 'relabel', label: 1 } }
    for (const frame of [
      { url: 'app://bundle/index.html', parent: {} },
      { url: 'https://evil.example/', parent: null },
      { url: 'file:///tmp/x.html', parent: null },
      { url: 'app://bundle.evil/index.html', parent: null },
      null
    ]) {
      expect(await ipc.invoke(decide, frame, args)).toMatchObject({ ok: false, code: 'FORBIDDEN' })
    }
    expect(history()).toBe(before)
    expect(await ipc.invoke(decide, UI, args, 'extra')).toMatchObject({ ok: false, code: 'INVALID_ARGS' })
    expect(await ipc.invoke(decide, UI, args)).toMatchObject({ ok: true })
    expect(history()).toBe(before + 1)
  })

  it('rejects ≥1,000 malformed payloads (structured-cloned like IPC) without crashing or writing', async () => {
    const before = { h: history(), c: changes() }
    const fz = new Fuzzer(424242)
    let n = 0
    while (n < 1000) {
      const { method, args } = fz.next()
      let cloned: unknown
      try {
        cloned = structuredClone(args)
      } catch {
        continue
      }
      if (!isMalformed(method, cloned)) continue
      n++
      const r = await ipc.invoke(ipcChannel(method), UI, cloned)
      expect(r).toMatchObject({ ok: false, code: 'INVALID_ARGS' })
    }
    expect({ h: history(), c: changes() }).toEqual(before)
  })

  it('forwards events only to trusted, live windows', async () => {
    const got: Record<string, ApiEvent[]> = { ui: [], evil: [], dead: [] }
    const target = (name: string, url: string, dead = false): EventTarget => ({
      isDestroyed: () => dead,
      getURL: () => url,
      send: (_ch, e) => got[name].push(e)
    })
    const off = forwardEvents(api, () => [
      target('ui', 'app://bundle/index.html'),
      target('evil', 'https://evil.example/'),
      target('dead', 'app://bundle/index.html', true)
    ])
    await ipc.invoke(ipcChannel('review.decide'), UI, { imageId: 4, decision: { kind: 'keep' } })
    off()
    expect(got.ui).toEqual([{ type: 'project.changed', what: 'labels', imageIds: [4] }])
    expect(got.evil).toEqual([])
    expect(got.dead).toEqual([])
  })

  it('removes every handler on dispose', () => {
    const other = new FakeIpcMain()
    const d = registerApiIpc(other as never, api)
    expect(other.handlers.size).toBe(METHOD_NAMES.length)
    d()
    expect(other.handlers.size).toBe(0)
  })
})
