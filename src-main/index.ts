// Electron main process: WIRING ONLY. Behaviour lives in src-main/core (plain Node) and the handler
// factories of src-main/electron (tested under Node with electron mocked). Security policy:
// src-main/electron/policy.ts and docs/security.md.
import { app, BrowserWindow, dialog, ipcMain, protocol, session, shell, utilityProcess } from 'electron'
import { join } from 'node:path'
import { userInfo } from 'node:os'
import { createApi, type Api } from './core/api/handlers'
import { defaultEngines } from './core/api/default-engines'
import { createImageHandler, lookupImage } from './core/api/image-serve'
import { APP_SCHEME, IMAGE_SCHEME } from './core/api/methods'
import { APP_ENTRY, PRIVILEGED_SCHEMES } from './electron/policy'
import { hardenWebContents, installPermissionPolicy } from './electron/harden'
import { createAppProtocolHandler, createImageProtocolHandler, refuseFileProtocol } from './electron/protocols'
import { forwardEvents, registerApiIpc } from './electron/ipc'
import { createDialogHost } from './electron/dialogs'
import { appResource, mainWindowOptions } from './electron/window'
import { utilityWorkerSpawner } from './electron/training'

const log = (msg: string): void => console.error(`[poi-audit] ${msg}`)
// The Vite dev server, only for unpackaged runs (electron-vite dev sets it).
const devUrl = !app.isPackaged ? (process.env.ELECTRON_RENDERER_URL ?? null) : null
const devOrigin = devUrl ? new URL(devUrl).origin : null

// Packaged builds ship the tfjs .wasm binaries as extraResources (build/electron-builder.yml): the
// compute module (and the training utilityProcess, which inherits the environment) reads them there.
if (app.isPackaged && process.resourcesPath && !process.env.POI_WASM_DIR)
  process.env.POI_WASM_DIR = join(process.resourcesPath, 'wasm')

// Before `ready`: custom schemes must be privileged before any session exists.
protocol.registerSchemesAsPrivileged(
  PRIVILEGED_SCHEMES.map((s) => ({ scheme: s.scheme, privileges: { ...s.privileges } }))
)
app.enableSandbox()

app.on('web-contents-created', (_e, contents) => {
  hardenWebContents(contents, { openExternal: (url) => void shell.openExternal(url), log })
})

let mainWindow: BrowserWindow | null = null
let api: Api | null = null

function createWindow(): void {
  const icon = appResource('icon.png', {
    packaged: app.isPackaged,
    resourcesPath: process.resourcesPath ?? '',
    mainDir: __dirname
  })
  mainWindow = new BrowserWindow(mainWindowOptions(join(__dirname, '../preload/index.cjs'), icon))
  mainWindow.once('ready-to-show', () => mainWindow?.show())
  mainWindow.on('closed', () => (mainWindow = null))
  void mainWindow.loadURL(devUrl ?? APP_ENTRY)
}

void app.whenReady().then(() => {
  installPermissionPolicy(session.defaultSession, log)
  api = createApi({
    mode: 'electron',
    version: app.getVersion(),
    actor: userInfo().username || 'curator',
    userDataDir: app.getPath('userData'),
    dialogs: createDialogHost(dialog, () => mainWindow),
    engines: defaultEngines({ spawnTrainer: utilityWorkerSpawner(utilityProcess, join(__dirname, 'train-worker.js')) }),
    log
  })
  const live = api
  const images = createImageHandler({
    lookup: (id) => (live.session.project ? lookupImage(live.session.project.db, id) : null),
    log
  })
  protocol.handle(APP_SCHEME, createAppProtocolHandler({ root: join(__dirname, '../renderer'), log }))
  protocol.handle(IMAGE_SCHEME, createImageProtocolHandler(images))
  protocol.handle('file', refuseFileProtocol)
  registerApiIpc(ipcMain, live, { devOrigin, log })
  forwardEvents(live, () => BrowserWindow.getAllWindows().map((w) => w.webContents), { devOrigin })
  createWindow()
  app.on('activate', () => {
    if (BrowserWindow.getAllWindows().length === 0) createWindow()
  })
})

app.on('window-all-closed', () => {
  const closing = api
  api = null
  // Cancel jobs and training, then close the project (releases its lock, checkpoints the WAL).
  void (closing ? closing.close() : Promise.resolve()).finally(() => app.quit())
})
