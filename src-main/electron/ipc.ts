/**
 * The ONE place that talks to ipcMain. Each API method gets its own invoke channel
 * (`poi:api:<method>`); every call is checked for its sender (our UI's main frame, see
 * policy.isTrustedSender) and then goes through the API's dispatch, which validates the arguments
 * with the same zod contract as the HTTP server. Events go out on `poi:event` to trusted windows.
 */
import type { IpcMain, IpcMainInvokeEvent } from 'electron'
import type { Api } from '../core/api/handlers'
import type { ApiEvent, ApiResult } from '../core/api/contract'
import { IPC_EVENT_CHANNEL, METHOD_NAMES, ipcChannel } from '../core/api/methods'
import { isTrustedSender, type SenderInfo, type SenderPolicy } from './policy'

/** What the wrapper reads from an invoke event (a subset, so tests can build one). */
export type InvokeEventLike = Pick<IpcMainInvokeEvent, 'senderFrame'>

export function senderInfo(event: InvokeEventLike): SenderInfo | null {
  let frame: IpcMainInvokeEvent['senderFrame']
  try {
    frame = event.senderFrame
  } catch {
    return null // the frame was destroyed or navigated ("Render frame was disposed")
  }
  if (!frame) return null
  return { url: frame.url, isMainFrame: frame.parent === null }
}

export interface IpcOptions extends SenderPolicy {
  log?(msg: string): void
}

/** Registers one handler per method; returns a function that removes them all. */
export function registerApiIpc(
  ipc: Pick<IpcMain, 'handle' | 'removeHandler'>,
  api: Pick<Api, 'dispatch'>,
  opts: IpcOptions = {}
): () => void {
  const log = opts.log ?? (() => {})
  for (const method of METHOD_NAMES) {
    ipc.handle(ipcChannel(method), async (event: InvokeEventLike, ...args: unknown[]): Promise<ApiResult<unknown>> => {
      const sender = senderInfo(event)
      if (!isTrustedSender(sender, opts)) {
        log(
          `IPC ${method} refused from ${sender ? `${sender.url}${sender.isMainFrame ? '' : ' (subframe)'}` : 'a gone frame'}`
        )
        return { ok: false, code: 'FORBIDDEN', message: 'this frame may not call the POI Audit API' }
      }
      if (args.length > 1)
        return { ok: false, code: 'INVALID_ARGS', message: `${method} takes one argument object, got ${args.length}` }
      return api.dispatch(method, args[0])
    })
  }
  return () => {
    for (const method of METHOD_NAMES) ipc.removeHandler(ipcChannel(method))
  }
}

/** A window's webContents, as far as event forwarding needs it. */
export interface EventTarget {
  isDestroyed(): boolean
  send(channel: string, payload: ApiEvent): void
  /** The main frame's URL, checked like a sender so events never reach a foreign page. */
  getURL(): string
}

/** Sends every API event to the trusted windows `targets()` returns; returns the unsubscribe. */
export function forwardEvents(
  api: Pick<Api, 'subscribe'>,
  targets: () => EventTarget[],
  policy: SenderPolicy = {}
): () => void {
  return api.subscribe((e) => {
    for (const t of targets()) {
      if (!t.isDestroyed() && isTrustedSender({ url: t.getURL(), isMainFrame: true }, policy))
        t.send(IPC_EVENT_CHANNEL, e)
    }
  })
}
