/**
 * Geometry of the virtualised thumbnail grid (pure). The grid has fixed-height rows of equal cells;
 * only the rows intersecting the viewport, plus `overscan` rows above and below, exist in the DOM.
 * Rows are positioned with a transform, so scrolling never re-lays out the rows that stay.
 */

export interface GridGeometry {
  /** Cells per row (≥ 1). */
  columns: number
  /** Rows needed for `count` items. */
  rows: number
  /** Height of the whole scrollable area, px. */
  totalHeight: number
  /** First and last row to render (inclusive); last < first when there is nothing to render. */
  firstRow: number
  lastRow: number
}

export interface GridInput {
  /** Number of items. */
  count: number
  /** Viewport width and height, px. */
  width: number
  height: number
  /** Current scroll offset, px. */
  scrollTop: number
  /** Fixed row height, px. */
  rowHeight: number
  /** Smallest cell width, px; columns = floor(width / cellWidth). */
  cellWidth: number
  /** Extra rows rendered above and below the viewport. */
  overscan: number
}

export function gridGeometry(g: GridInput): GridGeometry {
  const columns = Math.max(1, Math.floor(Math.max(0, g.width) / Math.max(1, g.cellWidth)))
  const rows = Math.ceil(Math.max(0, g.count) / columns)
  const totalHeight = rows * g.rowHeight
  if (rows === 0) return { columns, rows, totalHeight, firstRow: 0, lastRow: -1 }
  const top = Math.max(0, Math.min(g.scrollTop, Math.max(0, totalHeight - g.height)))
  const firstVisible = Math.floor(top / g.rowHeight)
  const lastVisible = Math.floor((top + Math.max(0, g.height - 1)) / g.rowHeight)
  return {
    columns,
    rows,
    totalHeight,
    firstRow: Math.max(0, firstVisible - g.overscan),
    lastRow: Math.min(rows - 1, lastVisible + g.overscan)
  }
}

/**
 * The scrollTop that brings row `row` fully into view with the least movement (unchanged when it is
 * already visible; the row's top when the viewport is shorter than a row).
 */
export function scrollToRow(row: number, scrollTop: number, height: number, rowHeight: number): number {
  const top = row * rowHeight
  const bottom = top + rowHeight
  if (top < scrollTop) return top
  // A viewport shorter than a row (e.g. while the layout settles) shows the row's top.
  if (bottom > scrollTop + height) return Math.max(0, Math.min(top, bottom - height))
  return scrollTop
}

/** Indices [start, end) of items in row `row`. */
export function rowItems(row: number, columns: number, count: number): [number, number] {
  const start = row * columns
  return [start, Math.min(count, start + columns)]
}

/**
 * Tells a fling (content passing too fast to be looked at) from reading, from successive scroll
 * positions. During a fling the grid defers thumbnail loads: at 6,000 px/s a row is on screen for
 * about 130 ms, and fetching, decoding and painting images nobody can see took the renderer's main
 * thread from 9 to 19 ms per frame (bench:review). Hysteresis keeps the state from flickering.
 */
export class FlingDetector {
  private lastT = -1
  private lastY = 0
  /** Smoothed speed, px/s. */
  speed = 0
  fast = false

  /**
   * @param fastPxPerSec speed above which scrolling counts as a fling
   * @param slowPxPerSec speed below which a fling has ended
   */
  constructor(
    readonly fastPxPerSec = 3000,
    readonly slowPxPerSec = 1200
  ) {}

  /** Feeds one scroll position (px) at time `t` (ms); returns whether this is now a fling. */
  update(y: number, t: number): boolean {
    // The first event, or one after a pause (a jump: Home/End, a click on the track), sets the base only.
    if (this.lastT < 0 || t - this.lastT > 100) {
      this.speed = 0
    } else {
      const inst = (Math.abs(y - this.lastY) / Math.max(t - this.lastT, 8)) * 1000
      this.speed = 0.5 * this.speed + 0.5 * inst
    }
    this.lastT = t
    this.lastY = y
    if (this.fast && this.speed < this.slowPxPerSec) this.fast = false
    else if (!this.fast && this.speed > this.fastPxPerSec) this.fast = true
    return this.fast
  }

  /** A scroll the app made itself (keeping the active cell in view): moves the base, never a fling. */
  moved(y: number, t: number): void {
    this.lastY = y
    this.lastT = t
  }

  /** Scrolling has paused: the fling is over. */
  rest(): void {
    this.speed = 0
    this.fast = false
    this.lastT = -1
  }
}
