/**
 * Applies the policy (policy.ts) to Electron objects. Factories take the objects they change, so the
 * tests drive them with small fakes under Node; only `import type` from electron here.
 */
import type { Session, WebContents } from 'electron'
import { decideNavigation, decidePermission } from './policy'

export interface HardenOptions {
  /** Hands a vetted URL to the OS browser (shell.openExternal). */
  openExternal(url: string): void
  log?(msg: string): void
}

/**
 * Every webContents (windows, and anything else Electron creates): no navigation, no new windows,
 * no <webview>. Installed from app.on('web-contents-created') so nothing escapes it.
 */
export function hardenWebContents(
  contents: Pick<WebContents, 'on' | 'setWindowOpenHandler'>,
  opts: HardenOptions
): void {
  const log = opts.log ?? (() => {})
  const refuse = (kind: string) => (event: { preventDefault(): void }, url: string) => {
    event.preventDefault()
    const d = decideNavigation(url)
    log(`${kind} refused: ${url}${d.openExternal ? ' (opened in the browser)' : ''}`)
    if (d.openExternal) opts.openExternal(url)
  }
  contents.on('will-navigate', refuse('navigation'))
  contents.on('will-redirect', refuse('redirect'))
  contents.on('will-attach-webview', (event: { preventDefault(): void }) => {
    event.preventDefault()
    log('webview refused')
  })
  contents.setWindowOpenHandler(({ url }) => {
    const d = decideNavigation(url)
    log(`window.open refused: ${url}${d.openExternal ? ' (opened in the browser)' : ''}`)
    if (d.openExternal) opts.openExternal(url)
    return { action: 'deny' }
  })
}

/** Permission requests and checks: both denied by the table (set both, or checks fall back to grant). */
export function installPermissionPolicy(
  session: Pick<Session, 'setPermissionRequestHandler' | 'setPermissionCheckHandler' | 'setDevicePermissionHandler'>,
  log: (msg: string) => void = () => {}
): void {
  session.setPermissionRequestHandler(null)
  session.setPermissionRequestHandler((_wc, permission, callback) => {
    const ok = decidePermission(permission)
    if (!ok) log(`permission request refused: ${permission}`)
    callback(ok)
  })
  session.setPermissionCheckHandler((_wc, permission) => decidePermission(permission))
  session.setDevicePermissionHandler(() => false)
}
