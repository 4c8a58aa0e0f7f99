// Preload: exposes verbs to the renderer, never ipcRenderer itself.
import { contextBridge } from 'electron'

contextBridge.exposeInMainWorld('poi', { version: () => '0.1.0' })
