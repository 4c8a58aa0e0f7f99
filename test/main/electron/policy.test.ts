import { describe, expect, it } from 'vitest'
import {
  APP_CSP,
  PERMISSIONS,
  PRIVILEGED_SCHEMES,
  decideNavigation,
  decidePermission,
  isAllowedExternalUrl,
  isTrustedSender
} from '../../../src-main/electron/policy'
import { secureWebPreferences } from '../../../src-main/electron/window'

function csp(policy: string): Map<string, string[]> {
  return new Map(
    policy
      .split(';')
      .map((d) => d.trim().split(/\s+/))
      .map(([k, ...v]) => [k, v])
  )
}

describe('CSP', () => {
  it('is strict: no eval or inline script, nothing remote, no framing', () => {
    const c = csp(APP_CSP)
    expect(c.get('default-src')).toEqual(["'none'"])
    expect(c.get('script-src')).toEqual(["'self'"])
    expect(c.get('object-src')).toEqual(["'none'"])
    expect(c.get('base-uri')).toEqual(["'none'"])
    expect(c.get('frame-ancestors')).toEqual(["'none'"])
    expect(c.get('img-src')).toContain('poi-img:')
    expect(c.get('connect-src')).toEqual(["'self'"])
    expect(APP_CSP).not.toMatch(/unsafe-eval|https?:|\*/)
  })

  it('privileged schemes never bypass CSP', () => {
    for (const s of PRIVILEGED_SCHEMES) {
      expect(s.privileges).not.toHaveProperty('bypassCSP')
      expect(s.privileges.secure).toBe(true)
    }
    expect(PRIVILEGED_SCHEMES.map((s) => s.scheme)).toEqual(['app', 'poi-img'])
  })
})

describe('navigation, new windows, external links', () => {
  it('denies every navigation; opens only vetted https hosts outside', () => {
    const table: [string, boolean][] = [
      ['https://arxiv.org/abs/2411.13024', true],
      ['https://github.com/x/y', true],
      ['http://arxiv.org/abs/1', false],
      ['https://arxiv.org:8443/abs/1', false],
      ['https://user:pw@github.com/', false],
      ['https://github.com.evil.com/', false],
      ['https://good.example.evil.com', false],
      ['file:///etc/passwd', false],
      ['javascript:alert(1)', false],
      ['smb://server/share', false],
      ['ms-msdt:/id PCWDiagnostic', false],
      ['app://bundle/index.html', false],
      ['data:text/html,<script>1</script>', false],
      ['not a url', false]
    ]
    for (const [url, ext] of table) {
      expect(decideNavigation(url), url).toEqual({ allow: false, openExternal: ext })
      expect(isAllowedExternalUrl(url), url).toBe(ext)
    }
  })
})

describe('permissions', () => {
  it('denies every permission in the table and any unknown one', () => {
    for (const p of Object.keys(PERMISSIONS)) expect(decidePermission(p), p).toBe(false)
    for (const p of [
      'geolocation',
      'media',
      'notifications',
      'clipboard-read',
      'camera',
      'something-new',
      '__proto__',
      'constructor',
      ''
    ]) {
      expect(decidePermission(p), p).toBe(false)
    }
    for (const rule of Object.values(PERMISSIONS)) expect(rule.why.length).toBeGreaterThan(3)
  })
})

describe('IPC sender check', () => {
  it('accepts only our main frame, and the dev server only when configured', () => {
    const ok = (url: string | null, isMainFrame = true, devOrigin?: string) =>
      isTrustedSender(url === null ? null : { url, isMainFrame }, { devOrigin })
    expect(ok('app://bundle/index.html')).toBe(true)
    expect(ok('app://bundle/index.html#/queue')).toBe(true)
    expect(ok('app://bundle/index.html', false)).toBe(false)
    expect(ok('app://bundle.evil/index.html')).toBe(false)
    expect(ok('app://other/index.html')).toBe(false)
    expect(ok('app://x@bundle/index.html')).toBe(false)
    expect(ok('app://bundle:81/index.html')).toBe(false)
    expect(ok('file:///work/out/renderer/index.html')).toBe(false)
    expect(ok('https://evil.example/')).toBe(false)
    expect(ok('about:blank')).toBe(false)
    expect(ok('%%%')).toBe(false)
    expect(ok(null)).toBe(false)
    expect(isTrustedSender({ url: null, isMainFrame: true })).toBe(false)
    expect(ok('http://localhost:5173/', true)).toBe(false)
    expect(ok('http://localhost:5173/', true, 'http://localhost:5173')).toBe(true)
    expect(ok('http://localhost:5174/', true, 'http://localhost:5173')).toBe(false)
    expect(ok('http://localhost:5173/', false, 'http://localhost:5173')).toBe(false)
  })
})

describe('webPreferences', () => {
  it('keeps every secure default explicitly', () => {
    expect(secureWebPreferences('/p/preload.cjs')).toEqual({
      preload: '/p/preload.cjs',
      contextIsolation: true,
      sandbox: true,
      nodeIntegration: false,
      nodeIntegrationInWorker: false,
      nodeIntegrationInSubFrames: false,
      webSecurity: true,
      allowRunningInsecureContent: false,
      experimentalFeatures: false,
      webviewTag: false,
      navigateOnDragDrop: false,
      safeDialogs: true,
      spellcheck: false
    })
  })
})
