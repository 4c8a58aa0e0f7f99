import { describe, expect, it } from 'vitest'
import { buildBridge, type RendererIpc } from '../../../src-main/preload/bridge'
import { METHOD_NAMES } from '../../../src-main/core/api/methods'
import { createClient, electronTransport } from '../../../src-main/core/api/client'

function fakeIpc(): RendererIpc & { calls: unknown[][]; listeners: Map<string, ((e: unknown, p: unknown) => void)[]> } {
  const listeners = new Map<string, ((e: unknown, p: unknown) => void)[]>()
  const calls: unknown[][] = []
  return {
    calls,
    listeners,
    invoke: async (channel, ...args) => {
      calls.push([channel, ...args])
      return { ok: true, value: { channel } }
    },
    on: (ch, l) => listeners.set(ch, [...(listeners.get(ch) ?? []), l]),
    removeListener: (ch, l) =>
      listeners.set(
        ch,
        (listeners.get(ch) ?? []).filter((x) => x !== l)
      )
  }
}

describe('preload bridge', () => {
  it('exposes exactly the verbs of the contract plus events (snapshot)', () => {
    const b = buildBridge(fakeIpc()) as unknown as Record<string, Record<string, unknown>>
    const verbs = Object.entries(b).flatMap(([ns, v]) => Object.keys(v).map((k) => `${ns}.${k}`))
    expect(verbs.filter((v) => !v.startsWith('events.')).sort()).toEqual([...METHOD_NAMES].sort())
    expect(Object.keys(b).sort()).toEqual([
      'app',
      'assignments',
      'audit',
      'consensus',
      'dialog',
      'events',
      'export',
      'history',
      'images',
      'import',
      'jobs',
      'overview',
      'project',
      'queue',
      'review',
      'runs',
      'train'
    ])
    expect(Object.keys(b.events)).toEqual(['subscribe'])
    for (const v of Object.values(b)) for (const f of Object.values(v)) expect(typeof f).toBe('function')
    expect(JSON.stringify(b)).not.toMatch(/ipcRenderer|invoke|send/)
  })

  it('invokes one channel per method with exactly one argument', async () => {
    const ipc = fakeIpc()
    const b = buildBridge(ipc) as unknown as Record<string, Record<string, (...a: unknown[]) => Promise<unknown>>>
    await b.images.queue({ limit: 5 }, 'extra', 'args')
    await b.project.info()
    expect(ipc.calls).toEqual([
      ['poi:api:images.queue', { limit: 5 }],
      ['poi:api:project.info', {}]
    ])
  })

  it('hands listeners the payload only, never the IPC event, and unsubscribes', () => {
    const ipc = fakeIpc()
    const b = buildBridge(ipc)
    const got: unknown[][] = []
    const off = b.events.subscribe((...a: unknown[]) => got.push(a))
    const rawEvent = { sender: { send() {} }, senderId: 1 }
    for (const l of ipc.listeners.get('poi:event')!) l(rawEvent, { type: 'project.changed', what: 'labels' })
    expect(got).toEqual([[{ type: 'project.changed', what: 'labels' }]])
    off()
    expect(ipc.listeners.get('poi:event')).toEqual([])
    expect(() => b.events.subscribe('nope' as never)).toThrow(TypeError)
  })

  it('works behind the renderer client (Electron transport)', async () => {
    const ipc = fakeIpc()
    const api = createClient(electronTransport(buildBridge(ipc)))
    expect(api.mode).toBe('electron')
    expect(await api.review.undo()).toEqual({ ok: true, value: { channel: 'poi:api:review.undo' } })
    expect(api.imageUrl(12)).toBe('poi-img://img/12?v=thumb')
    expect(api.imageUrl(12, 'full')).toBe('poi-img://img/12?v=full')
  })
})
