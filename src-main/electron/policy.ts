/**
 * THE Electron security policy, in one place: CSP, permission table, schemes, external hosts, and
 * the pure decisions built on them (navigation, window.open, IPC sender, openExternal).
 *
 * DO NOT loosen anything here without updating docs/security.md and the tests in
 * test/main/electron/policy.test.ts. Pure module: no `electron` import, so it is tested under Node.
 */
import { APP_HOST, APP_SCHEME, IMAGE_SCHEME } from '../core/api/methods'

// #region schemes

/** The UI's origin. Compared by protocol + host: Node's URL gives non-special schemes origin 'null'. */
export const APP_ORIGIN = `${APP_SCHEME}://${APP_HOST}`
/** Entry page of the UI. */
export const APP_ENTRY = `${APP_ORIGIN}/index.html`

/**
 * Custom schemes, registered before `ready`. standard: URL parsing and relative URLs like http;
 * secure: treated as a secure context (like https); supportFetchAPI: the bundle's module scripts
 * load through fetch. Neither scheme gets bypassCSP, corsEnabled to others, or stream.
 */
export const PRIVILEGED_SCHEMES = [
  { scheme: APP_SCHEME, privileges: { standard: true, secure: true, supportFetchAPI: true } },
  { scheme: IMAGE_SCHEME, privileges: { standard: true, secure: true, supportFetchAPI: true } }
] as const

/** Schemes whose requests the app answers; `file:` is intercepted and refused (checklist item 18). */
export const ALLOWED_SCHEMES = [APP_SCHEME, IMAGE_SCHEME] as const
export const BLOCKED_SCHEMES = ['file'] as const

// #endregion
// #region CSP

/**
 * Content-Security-Policy sent as a response header by the app:// handler (a meta tag cannot carry
 * frame-ancestors). Scripts only from the bundle; no eval, no inline script. Images from the
 * bundle and poi-img: (ids, never paths). style-src allows inline styles because Svelte
 * transitions inject <style> elements at run time.
 */
export const APP_CSP = [
  "default-src 'none'",
  "script-src 'self'",
  "style-src 'self' 'unsafe-inline'",
  `img-src 'self' ${IMAGE_SCHEME}: blob: data:`,
  "font-src 'self'",
  "connect-src 'self'",
  "object-src 'none'",
  "base-uri 'none'",
  "form-action 'none'",
  "frame-ancestors 'none'"
].join('; ')

/** Headers on every app:// answer. */
export const APP_HEADERS: Record<string, string> = {
  'content-security-policy': APP_CSP,
  'x-content-type-options': 'nosniff',
  'cross-origin-opener-policy': 'same-origin',
  'cross-origin-resource-policy': 'same-origin',
  'referrer-policy': 'no-referrer'
}

// #endregion
// #region permissions

/**
 * Every permission Electron asks about, with why we refuse it. The app needs none: it shows images
 * and talks to main over IPC. Unknown permissions are refused too (default deny).
 */
export const PERMISSIONS: Readonly<Record<string, { allow: false; why: string }>> = {
  'clipboard-read': { allow: false, why: 'labels are never pasted from other apps' },
  'clipboard-sanitized-write': { allow: false, why: 'copying ids is done through main if ever needed' },
  'display-capture': { allow: false, why: 'no screen capture' },
  fullscreen: { allow: false, why: 'the window can be maximised; HTML fullscreen is not used' },
  geolocation: { allow: false, why: 'no location' },
  'idle-detection': { allow: false, why: 'no presence tracking' },
  media: { allow: false, why: 'no camera or microphone' },
  mediaKeySystem: { allow: false, why: 'no DRM' },
  midi: { allow: false, why: 'no MIDI' },
  midiSysex: { allow: false, why: 'no MIDI' },
  notifications: { allow: false, why: 'progress is shown in the window' },
  pointerLock: { allow: false, why: 'no pointer lock' },
  keyboardLock: { allow: false, why: 'shortcuts are plain key events' },
  openExternal: { allow: false, why: 'links open through the vetted openExternal in main only' },
  'speaker-selection': { allow: false, why: 'no audio' },
  'storage-access': { allow: false, why: 'no third-party content' },
  'top-level-storage-access': { allow: false, why: 'no third-party content' },
  'window-management': { allow: false, why: 'one window' },
  unknown: { allow: false, why: 'default deny' },
  hid: { allow: false, why: 'no devices' },
  serial: { allow: false, why: 'no devices' },
  usb: { allow: false, why: 'no devices' },
  bluetooth: { allow: false, why: 'no devices' },
  'persistent-storage': { allow: false, why: 'the project lives in its own file, not in browser storage' },
  'background-sync': { allow: false, why: 'no service workers' }
}

/** Whether to grant a permission: never (the table documents why; unknown names are refused). */
export function decidePermission(permission: string): boolean {
  const rule = Object.prototype.hasOwnProperty.call(PERMISSIONS, permission) ? PERMISSIONS[permission] : null
  return rule ? rule.allow : false
}

// #endregion
// #region navigation, new windows, external links

/**
 * Hosts `shell.openExternal` may open (https only, exact host match): the paper and the project's
 * documentation. Everything else a page tries to open is refused.
 */
export const EXTERNAL_HOSTS: readonly string[] = ['arxiv.org', 'github.com']

/** True when `url` may be handed to the OS browser. */
export function isAllowedExternalUrl(url: string): boolean {
  let u: URL
  try {
    u = new URL(url)
  } catch {
    return false
  }
  if (u.protocol !== 'https:' || u.username || u.password || u.port) return false
  return EXTERNAL_HOSTS.includes(u.hostname.toLowerCase())
}

export interface NavigationDecision {
  /** Always false: the single-page UI never navigates away from its entry. */
  allow: false
  /** Open it in the OS browser instead (vetted external link). */
  openExternal: boolean
}

/** will-navigate / will-redirect / setWindowOpenHandler all use this: deny, maybe open outside. */
export function decideNavigation(url: string): NavigationDecision {
  return { allow: false, openExternal: isAllowedExternalUrl(url) }
}

// #endregion
// #region IPC sender

/** What the IPC wrapper knows about the frame that sent a message. */
export interface SenderInfo {
  /** senderFrame.url; null when the frame is gone. */
  url: string | null
  /** senderFrame.parent === null (a main frame, not an iframe). */
  isMainFrame: boolean
}

export interface SenderPolicy {
  /** The Vite dev server origin (http://localhost:5173), accepted only in unpackaged builds. */
  devOrigin?: string | null
}

/** True when a message comes from our UI's main frame: app://bundle (or the dev server when allowed). */
export function isTrustedSender(s: SenderInfo | null, policy: SenderPolicy = {}): boolean {
  if (!s || !s.isMainFrame || typeof s.url !== 'string') return false
  let u: URL
  try {
    u = new URL(s.url)
  } catch {
    return false
  }
  if (u.protocol === `${APP_SCHEME}:` && u.host === APP_HOST && !u.username && !u.password && !u.port) return true
  if (policy.devOrigin) {
    try {
      return u.origin === new URL(policy.devOrigin).origin && (u.protocol === 'http:' || u.protocol === 'https:')
    } catch {
      return false
    }
  }
  return false
}

// #endregion
