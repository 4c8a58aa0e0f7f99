/**
 * Builds `window.poi` from the method list: `poi.<namespace>.<verb>(args)` invokes `poi:api:<method>`
 * and `poi.events.subscribe(listener)` delivers event payloads. Never exposes ipcRenderer, channels
 * or Electron's event object. Imports only the dependency-free method list (a sandboxed preload can
 * require nothing but electron), so it is unit-tested with fake invoke/on functions.
 */
import { IPC_EVENT_CHANNEL, METHOD_NAMES, ipcChannel } from '../core/api/methods'
import type { PoiBridge } from '../core/api/client'
import type { ApiEvent, ApiResult } from '../core/api/contract'

/** The ipcRenderer calls the bridge needs (injected). */
export interface RendererIpc {
  invoke(channel: string, ...args: unknown[]): Promise<unknown>
  on(channel: string, listener: (event: unknown, payload: unknown) => void): void
  removeListener(channel: string, listener: (event: unknown, payload: unknown) => void): void
}

export function buildBridge(ipc: RendererIpc): PoiBridge {
  const bridge: Record<string, Record<string, unknown>> = {}
  for (const method of METHOD_NAMES) {
    const dot = method.indexOf('.')
    const channel = ipcChannel(method)
    // Exactly one argument crosses: extra arguments from page code are dropped here, not forwarded.
    ;(bridge[method.slice(0, dot)] ??= {})[method.slice(dot + 1)] = (args?: unknown) =>
      ipc.invoke(channel, args === undefined ? {} : args) as Promise<ApiResult<unknown>>
  }
  bridge.events = {
    subscribe(listener: (event: ApiEvent) => void): () => void {
      if (typeof listener !== 'function') throw new TypeError('subscribe needs a function')
      // The page's callback gets the payload only, never the IpcRendererEvent (it carries `sender`).
      const relay = (_event: unknown, payload: unknown): void => listener(payload as ApiEvent)
      ipc.on(IPC_EVENT_CHANNEL, relay)
      return () => ipc.removeListener(IPC_EVENT_CHANNEL, relay)
    }
  }
  return bridge as unknown as PoiBridge
}
