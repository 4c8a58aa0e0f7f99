/** The one event channel from main to the renderer(s): IPC `poi:event` in Electron, SSE in browser mode. */
import type { ApiEvent } from './contract'

export type EventListener = (event: ApiEvent) => void

export class EventBus {
  private readonly listeners = new Set<EventListener>()

  constructor(private readonly log: (msg: string) => void = () => {}) {}

  subscribe(listener: EventListener): () => void {
    this.listeners.add(listener)
    return () => {
      this.listeners.delete(listener)
    }
  }

  emit(event: ApiEvent): void {
    for (const l of [...this.listeners]) {
      // One broken subscriber (a closed window, a dropped SSE socket) must not starve the others.
      try {
        l(event)
      } catch (e) {
        this.log(`event listener failed on ${event.type}: ${(e as Error).message}`)
      }
    }
  }

  get size(): number {
    return this.listeners.size
  }
}

/** Ids in a project.changed event: listed up to 1000, else omitted (the UI reloads). */
export function changedIds(ids: readonly number[]): number[] | undefined {
  return ids.length <= 1000 ? [...ids] : undefined
}
