/** The main window's options: one shared, locked-down webPreferences object (checklist items 2–12). */
import type { BrowserWindowConstructorOptions, WebPreferences } from 'electron'
import { join } from 'node:path'

export function secureWebPreferences(preload: string): WebPreferences {
  return {
    preload,
    // The preload may only use the electron renderer modules; the page gets nothing but window.poi.
    contextIsolation: true,
    sandbox: true,
    nodeIntegration: false,
    nodeIntegrationInWorker: false,
    nodeIntegrationInSubFrames: false,
    webSecurity: true,
    allowRunningInsecureContent: false,
    experimentalFeatures: false,
    webviewTag: false,
    // Dropping an image on the window must not navigate to file://.
    navigateOnDragDrop: false,
    safeDialogs: true,
    spellcheck: false
  }
}

/**
 * A file of the top-level resources/ folder (window icon, about page): packaged, electron-builder's
 * extraResources copies it to <resourcesPath>/resources; in development it is the repository's folder
 * two levels above out/main/.
 */
export function appResource(name: string, o: { packaged: boolean; resourcesPath: string; mainDir: string }): string {
  return o.packaged ? join(o.resourcesPath, 'resources', name) : join(o.mainDir, '..', '..', 'resources', name)
}

export function mainWindowOptions(preload: string, icon?: string): BrowserWindowConstructorOptions {
  return {
    ...(icon ? { icon } : {}),
    width: 1400,
    height: 900,
    minWidth: 900,
    minHeight: 600,
    show: false,
    backgroundColor: '#16181d',
    title: 'POI Audit',
    webPreferences: secureWebPreferences(preload)
  }
}
