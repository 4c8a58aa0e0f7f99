/**
 * Navigation scheduling for the Review page while a key is held down (auto-repeat).
 *
 * A held J or Q sends a keydown every ~33 ms. Each of them must paint the next face at once, so the
 * work a keypress normally starts behind the paint (the detail request, the full image, the prefetch
 * window, the URL) waits until the hold ends: every request or timer started per repeat lands in the
 * same task queue as the frames and input that follow, and under load those queued tasks delayed the
 * next face by up to a second (bench:review, FER2013: held J p95 872 ms). The hold ends on keyup or
 * when the window loses focus, else when no repeat came for `idleMs`.
 */

/**
 * A repeat gap longer than this (ms) ends the hold when no keyup came (auto-repeat runs every 30–50
 * ms). Not shorter: on a busy machine repeats arrive 100–150 ms apart, and each false release starts
 * the requests of a settled image in the middle of the hold.
 */
export const HOLD_IDLE_MS = 400

export class KeyHold {
  /** True from the first auto-repeat keydown until the key is released (or idle for `idleMs`). */
  held = $state(false)
  private timer: ReturnType<typeof setTimeout> | undefined

  /** `onRelease` runs once when a hold ends (the deferred work: detail, prefetch, URL). */
  constructor(
    private readonly onRelease: () => void,
    private readonly idleMs = HOLD_IDLE_MS
  ) {}

  /** An auto-repeat keydown. */
  repeat(): void {
    this.held = true
    clearTimeout(this.timer)
    this.timer = setTimeout(() => this.release(), this.idleMs)
  }

  /** A keyup (or the idle timer): ends the hold if there is one. */
  release(): void {
    clearTimeout(this.timer)
    this.timer = undefined
    if (!this.held) return
    this.held = false
    this.onRelease()
  }
}

/**
 * Queue offsets to prefetch around the current image, nearest first: `ahead` images in the direction
 * of travel (+1 = J / →, -1 = K / ←), then one behind for a step back.
 */
export function prefetchOffsets(ahead: number, direction: 1 | -1): number[] {
  return [...Array.from({ length: ahead }, (_, n) => (n + 1) * direction), -direction]
}
