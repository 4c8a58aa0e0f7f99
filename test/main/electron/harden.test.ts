import { describe, expect, it } from 'vitest'
import { EventEmitter } from 'node:events'
import { hardenWebContents, installPermissionPolicy } from '../../../src-main/electron/harden'

/** A webContents stand-in: an EventEmitter plus the window-open handler slot. */
class FakeContents extends EventEmitter {
  openHandler: ((d: { url: string }) => { action: string }) | null = null
  setWindowOpenHandler(h: (d: { url: string }) => { action: string }): void {
    this.openHandler = h
  }
}

function event(): { prevented: boolean; preventDefault(): void } {
  return {
    prevented: false,
    preventDefault() {
      this.prevented = true
    }
  }
}

describe('hardenWebContents', () => {
  it('prevents every navigation and redirect, opening vetted links outside', () => {
    const c = new FakeContents()
    const opened: string[] = []
    hardenWebContents(c as never, { openExternal: (u) => opened.push(u) })
    for (const url of [
      'https://evil.example/',
      'file:///etc/passwd',
      'app://bundle/other.html',
      'https://arxiv.org/abs/2411.13024'
    ]) {
      for (const name of ['will-navigate', 'will-redirect']) {
        const e = event()
        c.emit(name, e, url)
        expect(e.prevented, `${name} ${url}`).toBe(true)
      }
    }
    expect(opened).toEqual(['https://arxiv.org/abs/2411.13024', 'https://arxiv.org/abs/2411.13024'])
    const w = event()
    c.emit('will-attach-webview', w, {}, {})
    expect(w.prevented).toBe(true)
  })

  it('denies every new window', () => {
    const c = new FakeContents()
    const opened: string[] = []
    hardenWebContents(c as never, { openExternal: (u) => opened.push(u) })
    for (const url of ['about:blank', 'https://evil.example/', 'javascript:alert(1)', 'https://github.com/']) {
      expect(c.openHandler!({ url })).toEqual({ action: 'deny' })
    }
    expect(opened).toEqual(['https://github.com/'])
  })
})

describe('installPermissionPolicy', () => {
  it('sets request, check and device handlers that all deny', () => {
    const calls: Record<string, unknown[]> = { request: [], check: [], device: [] }
    let request: ((wc: unknown, p: string, cb: (ok: boolean) => void) => void) | null = null
    let check: ((wc: unknown, p: string) => boolean) | null = null
    let device: (() => boolean) | null = null
    installPermissionPolicy({
      setPermissionRequestHandler: (h: typeof request) => {
        calls.request.push(h)
        request = h
      },
      setPermissionCheckHandler: (h: typeof check) => (check = h),
      setDevicePermissionHandler: (h: typeof device) => (device = h)
    } as never)
    expect(calls.request[0]).toBeNull() // reset first, then install
    for (const p of ['media', 'geolocation', 'notifications', 'clipboard-read', 'fullscreen', 'made-up']) {
      let answer: boolean | null = null
      request!(null, p, (ok) => (answer = ok))
      expect(answer, p).toBe(false)
      expect(check!(null, p), p).toBe(false)
    }
    expect(device!()).toBe(false)
  })
})
