/**
 * Browser-mode security policy, in one place (the Electron equivalent is src-main/electron/policy.ts).
 * Why each rule exists is in docs/security.md; change nothing here without updating it.
 *
 * Threats: other local users and processes (the port is reachable by every process on the machine),
 * web pages in the user's browser (CSRF, DNS rebinding, cross-origin reads), and the images
 * themselves (served only as transcoded rasters, see core/api/image-serve.ts).
 */
import { randomBytes, timingSafeEqual } from 'node:crypto'
import { isIP } from 'node:net'

/**
 * Content-Security-Policy of every answer. No inline script, no eval, nothing from other origins;
 * `connect-src 'self'` covers fetch and the SSE stream. style-src allows inline styles because
 * Svelte's transitions inject <style> elements at run time; scripts stay 'self' only.
 */
export const BROWSER_CSP = [
  "default-src 'none'",
  "script-src 'self'",
  "style-src 'self' 'unsafe-inline'",
  "img-src 'self' blob: data:",
  "font-src 'self'",
  "connect-src 'self'",
  "manifest-src 'self'",
  "object-src 'none'",
  "base-uri 'none'",
  "form-action 'none'",
  "frame-ancestors 'none'"
].join('; ')

/** Headers on every answer, including errors. No Access-Control-* header is ever sent (no CORS). */
export const SECURITY_HEADERS: Record<string, string> = {
  'content-security-policy': BROWSER_CSP,
  'x-content-type-options': 'nosniff',
  'x-frame-options': 'DENY',
  'referrer-policy': 'no-referrer',
  'cross-origin-opener-policy': 'same-origin',
  'cross-origin-resource-policy': 'same-origin',
  'permissions-policy': 'camera=(), microphone=(), geolocation=(), usb=(), serial=(), hid=(), bluetooth=()'
}

/**
 * The session cookie's name (HttpOnly, SameSite=Strict, path /; no Secure: plain http on loopback).
 * Browsers key cookies by host, not port, so two `serve` instances on 127.0.0.1 sharing one name would
 * overwrite each other's cookie and sign each other out: the port (unique among running servers on
 * this host) is part of the name.
 */
export function cookieName(port: number): string {
  return `poi_session_${port}`
}

/** A fresh secret: 32 random bytes, base64url (43 characters). */
export function newSecret(): string {
  return randomBytes(32).toString('base64url')
}

/** Constant-time comparison of two secrets (length leaks nothing: both are fixed-size here). */
export function secretEquals(given: string | null | undefined, expected: string): boolean {
  if (typeof given !== 'string') return false
  const a = Buffer.from(given)
  const b = Buffer.from(expected)
  return a.length === b.length && timingSafeEqual(a, b)
}

const LOOPBACK_NAMES = new Set(['localhost', '127.0.0.1', '::1', '[::1]'])

/** True for loopback bind addresses: 127.0.0.0/8, ::1, 'localhost'. */
export function isLoopbackHost(host: string): boolean {
  const h = host.trim().toLowerCase()
  if (LOOPBACK_NAMES.has(h)) return true
  if (isIP(h) === 4) return h.startsWith('127.')
  return false
}

/** Refuses a non-loopback bind with a message that says why and what to do instead. */
export function assertLoopbackBind(host: string): void {
  if (!isLoopbackHost(host)) {
    throw new Error(
      `refusing to listen on ${JSON.stringify(host)}: poi-audit serve only binds to loopback (127.0.0.1 or ::1), ` +
        'because the API can relabel the whole dataset. To use it from another machine, forward the port over SSH: ' +
        'ssh -L 8080:127.0.0.1:<port> <this-host>'
    )
  }
}

/**
 * DNS-rebinding guard: the Host header must name a loopback address AND our port. A page on
 * evil.example that rebinds its name to 127.0.0.1 still sends `Host: evil.example`.
 */
export function isAllowedHostHeader(hostHeader: string | undefined, port: number): boolean {
  if (!hostHeader) return false
  const m = /^(\[[0-9a-f:.]+\]|[^:[\]]+)(?::(\d{1,5}))?$/i.exec(hostHeader.trim())
  if (!m) return false
  const name = m[1].toLowerCase()
  const p = m[2] === undefined ? 80 : Number(m[2])
  return p === port && (name === 'localhost' || name === '[::1]' || (isIP(name) === 4 && name.startsWith('127.')))
}

/** Parses a Cookie header into a map (first value wins). */
export function parseCookies(header: string | undefined): Map<string, string> {
  const out = new Map<string, string>()
  if (!header) return out
  for (const part of header.split(';')) {
    const eq = part.indexOf('=')
    if (eq < 0) continue
    const k = part.slice(0, eq).trim()
    if (k && !out.has(k)) out.set(k, part.slice(eq + 1).trim())
  }
  return out
}

/** The Set-Cookie value for the session (no Max-Age: it ends with the browser session). */
export function sessionCookie(port: number, secret: string): string {
  return `${cookieName(port)}=${secret}; HttpOnly; SameSite=Strict; Path=/`
}
