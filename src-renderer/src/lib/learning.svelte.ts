/**
 * The learning review queue as the Review page sees it (queue.* methods): whether it is on, what the
 * last re-rank did, and the two actions (turn on/off, re-rank now). The server re-ranks by itself
 * every N decisions and says so with a `project.changed` 'queue' event; the app then refreshes this
 * and marks the Review queue stale (reloading under the curator's hands would lose their place).
 */
import type { LearningQueueState } from './api'
import type { AppState } from './app.svelte'
import { plural } from './format'

/** How long after its own action this window treats 'queue' events as echoes (ms). */
const ECHO_MS = 3000

export class LearningQueueStore {
  state = $state.raw<LearningQueueState | null>(null)
  /** A re-rank asked for from this window is running. */
  busy = $state(false)

  /** Until when a 'queue' event is the echo of this window's own action (it reloads the queue itself). */
  private ownUntil = 0

  constructor(private readonly app: AppState) {}

  /** A 'queue' event: an echo of our own toggle / re-rank (the queue is reloaded already), or news. */
  isOwnEcho(): boolean {
    return this.busy || Date.now() < this.ownUntil
  }

  async refresh(): Promise<void> {
    if (!this.app.project) return
    const r = await this.app.api.queue.learning({})
    this.state = r.ok ? r.value : null
  }

  /** On/off (persisted in the project); the default queue order follows at once. */
  async setEnabled(enabled: boolean): Promise<void> {
    const r = await this.app.api.queue.setLearning({ enabled })
    if (!r.ok)
      return this.app.notify('error', `Could not turn the learning queue ${enabled ? 'on' : 'off'}: ${r.message}`)
    this.state = r.value
    this.ownUntil = Date.now() + ECHO_MS
    await this.app.review.reload()
  }

  /**
   * What a re-rank fits (persisted in the project). When the queue has re-ranked before, it re-ranks
   * at once with the new method, so the choice shows in the order rather than after N more decisions.
   */
  async setMethod(method: LearningQueueState['method']): Promise<void> {
    const r = await this.app.api.queue.setLearning({ method })
    if (!r.ok) return this.app.notify('error', `Could not change what the learning queue learns: ${r.message}`)
    this.state = r.value
    this.ownUntil = Date.now() + ECHO_MS
    if (r.value.enabled && r.value.last) await this.rerankNow()
  }

  /** Re-ranks now and shows the new order when it is stored. */
  async rerankNow(): Promise<void> {
    this.busy = true
    try {
      const r = await this.app.api.queue.rerank({ wait: true })
      if (!r.ok) return this.app.notify('error', `Re-rank failed: ${r.message}`)
      this.state = r.value
      this.ownUntil = Date.now() + ECHO_MS
      await this.app.review.reload()
    } finally {
      this.busy = false
    }
  }
}

/** "re-ranked 12,430 images from 200 decisions, 3 s", or why the audit's order was kept. */
export function describeRerank(s: LearningQueueState): string | null {
  const l = s.last
  if (!l) return null
  const sec = l.totalMs / 1000
  const took = sec < 10 ? `${sec.toFixed(1)} s` : `${Math.round(sec)} s`
  if (l.order === 'learned')
    return `Re-ranked ${plural(l.images, 'image')} from ${plural(l.decisions, 'decision')}${l.method === 'head' ? " (the model's head, from the corrected labels)" : ''}, ${took}`
  return `Kept the audit's order after ${plural(l.decisions, 'decision')} (${took}): ${l.reason}`
}
