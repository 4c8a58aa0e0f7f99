// Preload (sandboxed, CJS bundle): exposes the verbs built from the API method list as window.poi.
// Wiring only; the bridge itself is ./bridge.ts (tested under Node).
import { contextBridge, ipcRenderer } from 'electron'
import { BRIDGE_GLOBAL } from '../core/api/methods'
import { buildBridge } from './bridge'

contextBridge.exposeInMainWorld(
  BRIDGE_GLOBAL,
  buildBridge({
    invoke: (channel, ...args) => ipcRenderer.invoke(channel, ...args),
    on: (channel, listener) => ipcRenderer.on(channel, listener),
    removeListener: (channel, listener) => ipcRenderer.removeListener(channel, listener)
  })
)
