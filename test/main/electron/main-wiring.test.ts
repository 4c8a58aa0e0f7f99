/**
 * src-main/index.ts against a mocked 'electron' (the binary cannot run here): checks the wiring —
 * schemes registered before ready, sandbox on, permission handlers, protocol handlers, one IPC
 * handler per method, hardened web contents, a locked-down window loading app://bundle.
 */
import { afterAll, describe, expect, it, vi } from 'vitest'
import { EventEmitter } from 'node:events'
import { mkdtempSync, rmSync } from 'node:fs'
import { tmpdir } from 'node:os'
import { join } from 'node:path'

const h = vi.hoisted(() => {
  const order: string[] = []
  let ready!: () => void
  const readyPromise = new Promise<void>((r) => (ready = r))
  const appEvents = new Map<string, (...a: unknown[]) => void>()
  const protocols = new Map<string, (req: { url: string }) => Promise<Response>>()
  const ipcHandlers = new Map<string, unknown>()
  const windows: { options: Record<string, unknown>; url: string | null }[] = []
  const permission: Record<string, unknown> = {}
  return {
    order,
    ready: () => ready(),
    readyPromise,
    appEvents,
    protocols,
    ipcHandlers,
    windows,
    permission,
    userData: ''
  }
})

vi.mock('electron', () => {
  class BrowserWindow {
    static all: BrowserWindow[] = []
    static getAllWindows = () => BrowserWindow.all
    webContents = { isDestroyed: () => false, getURL: () => 'app://bundle/index.html', send: vi.fn() }
    record: { options: Record<string, unknown>; url: string | null }
    constructor(options: Record<string, unknown>) {
      h.order.push('window')
      this.record = { options, url: null }
      h.windows.push(this.record)
      BrowserWindow.all.push(this)
    }
    loadURL(url: string) {
      this.record.url = url
      return Promise.resolve()
    }
    once() {}
    on() {}
    show() {}
  }
  return {
    app: {
      isPackaged: true,
      enableSandbox: () => h.order.push('enableSandbox'),
      on: (ev: string, fn: (...a: unknown[]) => void) => h.appEvents.set(ev, fn),
      whenReady: () => h.readyPromise,
      getVersion: () => '0.1.0',
      getPath: () => h.userData,
      quit: vi.fn(() => h.order.push('quit'))
    },
    protocol: {
      registerSchemesAsPrivileged: (s: unknown) => {
        h.order.push('registerSchemes')
        h.permission.schemes = s
      },
      handle: (scheme: string, fn: (req: { url: string }) => Promise<Response>) => h.protocols.set(scheme, fn)
    },
    session: {
      defaultSession: {
        setPermissionRequestHandler: (fn: unknown) => (h.permission.request = fn),
        setPermissionCheckHandler: (fn: unknown) => (h.permission.check = fn),
        setDevicePermissionHandler: (fn: unknown) => (h.permission.device = fn)
      }
    },
    ipcMain: {
      handle: (ch: string, fn: unknown) => h.ipcHandlers.set(ch, fn),
      removeHandler: (ch: string) => h.ipcHandlers.delete(ch)
    },
    dialog: { showOpenDialog: vi.fn(), showSaveDialog: vi.fn() },
    shell: { openExternal: vi.fn() },
    utilityProcess: { fork: vi.fn() },
    BrowserWindow
  }
})

h.userData = mkdtempSync(join(tmpdir(), 'poi-wiring-'))
afterAll(() => rmSync(h.userData, { recursive: true, force: true }))

describe('Electron main wiring', () => {
  it('registers schemes and the sandbox before ready, then installs every handler', async () => {
    await import('../../../src-main/index')
    expect(h.order).toEqual(['registerSchemes', 'enableSandbox'])
    const schemes = h.permission.schemes as { scheme: string; privileges: Record<string, boolean> }[]
    expect(schemes.map((s) => s.scheme)).toEqual(['app', 'poi-img'])
    expect(schemes.every((s) => !s.privileges.bypassCSP)).toBe(true)
    expect(h.appEvents.has('web-contents-created')).toBe(true)

    h.ready()
    for (let i = 0; i < 50 && !h.windows.length; i++) await new Promise((r) => setTimeout(r, 10))
    expect([...h.protocols.keys()].sort()).toEqual(['app', 'file', 'poi-img'])
    expect(h.ipcHandlers.size).toBe((await import('../../../src-main/core/api/methods')).METHOD_NAMES.length)
    expect(typeof h.permission.request).toBe('function')
    expect((h.permission.check as (wc: unknown, p: string) => boolean)(null, 'media')).toBe(false)

    const win = h.windows[0]
    expect(win.url).toBe('app://bundle/index.html')
    const prefs = win.options.webPreferences as Record<string, unknown>
    expect(prefs).toMatchObject({ sandbox: true, contextIsolation: true, nodeIntegration: false, webSecurity: true })
    expect(String(prefs.preload)).toMatch(/preload[\\/]index\.cjs$/)

    const file = await h.protocols.get('file')!({ url: 'file:///etc/passwd' })
    expect(file.status).toBe(403)
    const img = await h.protocols.get('poi-img')!({ url: 'poi-img://img/1?v=thumb' })
    expect(img.status).toBe(404) // no project open: no image exists
  })

  it('hardens every web contents created', () => {
    const contents = Object.assign(new EventEmitter(), {
      openHandler: null as null | ((d: { url: string }) => unknown),
      setWindowOpenHandler(fn: (d: { url: string }) => unknown) {
        this.openHandler = fn
      }
    })
    h.appEvents.get('web-contents-created')!({}, contents)
    let prevented = false
    contents.emit('will-navigate', { preventDefault: () => (prevented = true) }, 'https://evil.example/')
    expect(prevented).toBe(true)
    expect(contents.openHandler!({ url: 'https://evil.example/' })).toEqual({ action: 'deny' })
  })

  it('answers IPC from the UI and quits cleanly', async () => {
    const info = h.ipcHandlers.get('poi:api:app.info') as (
      e: unknown,
      a: unknown
    ) => Promise<{ ok: boolean; value: { mode: string } }>
    const r = await info({ senderFrame: { url: 'app://bundle/index.html', parent: null } }, {})
    expect(r).toMatchObject({ ok: true, value: { mode: 'electron', capabilities: { dialogs: true, train: true } } })
    h.appEvents.get('window-all-closed')!()
    for (let i = 0; i < 50 && !h.order.includes('quit'); i++) await new Promise((r) => setTimeout(r, 10))
    expect(h.order.at(-1)).toBe('quit')
  })
})
