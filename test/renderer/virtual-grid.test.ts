import { describe, expect, it, vi } from 'vitest'
import { render, fireEvent } from '@testing-library/svelte'
import { createRawSnippet, tick } from 'svelte'
import VirtualGrid from '../../src-renderer/src/components/VirtualGrid.svelte'
import LiveGrid from './fixtures/LiveGrid.svelte'
import { FlingDetector, gridGeometry, scrollToRow, rowItems } from '../../src-renderer/src/lib/virtual'

describe('grid geometry', () => {
  const base = { count: 35_000, width: 800, height: 600, scrollTop: 0, rowHeight: 100, cellWidth: 100, overscan: 2 }

  it('renders the visible rows plus overscan only', () => {
    const g = gridGeometry(base)
    expect(g.columns).toBe(8)
    expect(g.rows).toBe(4375)
    expect(g.totalHeight).toBe(437_500)
    expect([g.firstRow, g.lastRow]).toEqual([0, 7]) // 6 visible (0..5) + 2 below
  })

  it('moves the window with the scroll offset and clamps at the end', () => {
    expect(gridGeometry({ ...base, scrollTop: 100_050 })).toMatchObject({ firstRow: 998, lastRow: 1008 })
    const end = gridGeometry({ ...base, scrollTop: 10_000_000 })
    expect(end.lastRow).toBe(4374)
    expect(end.firstRow).toBe(4374 - 5 - 2 - 1 + 1)
  })

  it('handles an empty list and a narrow viewport', () => {
    expect(gridGeometry({ ...base, count: 0 })).toMatchObject({ rows: 0, firstRow: 0, lastRow: -1 })
    expect(gridGeometry({ ...base, width: 50 }).columns).toBe(1)
  })

  it('scrolls the least to show a row', () => {
    expect(scrollToRow(3, 0, 600, 100)).toBe(0)
    expect(scrollToRow(10, 0, 600, 100)).toBe(500)
    expect(scrollToRow(2, 800, 600, 100)).toBe(200)
    expect(scrollToRow(0, 0, 20, 100)).toBe(0) // viewport not laid out yet
    expect(rowItems(2, 8, 20)).toEqual([16, 20])
  })
})

describe('fling detection', () => {
  it('a steady 2,000 px/s scroll is reading; 6,000 px/s is a fling, which ends when it slows or pauses', () => {
    const f = new FlingDetector()
    let t = 0
    let y = 0
    const run = (pxPerSec: number, frames: number): boolean => {
      let fast = false
      for (let i = 0; i < frames; i++) {
        t += 16
        y += (pxPerSec * 16) / 1000
        fast = f.update(y, t)
      }
      return fast
    }
    expect(run(2000, 60)).toBe(false)
    expect(run(6000, 10)).toBe(true)
    // Hysteresis: 2,000 px/s does not end a fling; 500 px/s does.
    expect(run(2000, 30)).toBe(true)
    expect(run(500, 30)).toBe(false)
    expect(run(6000, 10)).toBe(true)
    f.rest()
    expect(f.fast).toBe(false)
    // One jump after a pause (Home/End, a click on the track) is not a fling, however far.
    t += 500
    expect(f.update(y + 300_000, t)).toBe(false)
    // The app's own keep-in-view scrolls only move the base.
    f.moved(y + 300_112, t + 16)
    expect(f.update(y + 300_112, t + 32)).toBe(false)
  })
})

describe('VirtualGrid', () => {
  const cell = createRawSnippet((i: () => number) => ({
    render: () => `<div class="c" data-index="${i()}">${i()}</div>`
  }))

  it('puts only the visible rows of 35,000 items in the DOM, and follows scrolling', async () => {
    const { container } = render(VirtualGrid, {
      props: {
        count: 35_000,
        rowHeight: 100,
        cellWidth: 100,
        overscan: 3,
        label: 'grid',
        cell,
        fallbackSize: { width: 800, height: 600 }
      }
    })
    const rows = (): Element[] => [...container.querySelectorAll('[data-row]')]
    const cells = (): number[] => [...container.querySelectorAll('.c')].map((c) => Number(c.textContent))
    expect(rows()).toHaveLength(9) // 6 visible + 3 overscan below
    expect(cells()).toHaveLength(72)
    expect(cells()[0]).toBe(0)
    const spacer = container.querySelector('.spacer') as HTMLElement
    expect(spacer.style.height).toBe(`${4375 * 100}px`)
    // Rows are placed with transforms, not by flowing.
    expect((rows()[1] as HTMLElement).style.transform).toBe('translateY(100px)')

    const viewport = container.querySelector('[data-testid="virtual-grid"]') as HTMLElement
    viewport.scrollTop = 250_000
    await fireEvent.scroll(viewport)
    const rowNums = rows().map((r) => Number(r.getAttribute('data-row')))
    expect(Math.min(...rowNums)).toBe(2497)
    expect(Math.max(...rowNums)).toBe(2508)
    expect(cells()).toHaveLength(12 * 8)
    expect(cells()).toContain(20_000)
    expect(cells()).not.toContain(0)
  })

  it('rows entering during a fling are not live (no images) until it ends; rows already there stay live', async () => {
    const { container } = render(LiveGrid, { props: { count: 35_000 } })
    const liveOf = (i: number): string | null | undefined =>
      container.querySelector(`[data-index="${i}"]`)?.getAttribute('data-live')
    expect(liveOf(0)).toBe('true')
    const viewport = container.querySelector('[data-testid="virtual-grid"]') as HTMLElement
    // Scroll events 16 ms apart (a controlled clock), 100 px each: 6,250 px/s, a fling.
    let now = 1000
    const clock = vi.spyOn(performance, 'now').mockImplementation(() => now)
    try {
      for (let k = 1; k <= 3; k++) {
        now += 16
        viewport.scrollTop = k * 100
        await fireEvent.scroll(viewport)
      }
    } finally {
      clock.mockRestore()
    }
    expect(liveOf(2 * 8)).toBe('true') // row 2 was in the DOM before the fling
    expect(liveOf(9 * 8)).toBe('false') // row 9 entered during it
    // The fling ends when scrolling pauses: every row in the DOM turns live.
    await new Promise((r) => setTimeout(r, 200))
    await tick()
    expect(liveOf(9 * 8)).toBe('true')
    expect([...container.querySelectorAll('.c')].every((c) => c.getAttribute('data-live') === 'true')).toBe(true)
  })

  it('reports clicks with the cell index and the modifier keys', async () => {
    const got: [number, boolean][] = []
    const { container } = render(VirtualGrid, {
      props: {
        count: 50,
        rowHeight: 100,
        cellWidth: 100,
        label: 'grid',
        cell,
        onclickcell: (i: number, e: MouseEvent) => got.push([i, e.shiftKey])
      }
    })
    await fireEvent.click(container.querySelector('[data-index="11"]')!, { shiftKey: true })
    expect(got).toEqual([[11, true]])
  })

  it('scrolls the active index into view', async () => {
    const { container, rerender } = render(VirtualGrid, {
      props: {
        count: 1000,
        rowHeight: 100,
        cellWidth: 100,
        label: 'grid',
        cell,
        activeIndex: 0,
        fallbackSize: { width: 800, height: 600 }
      }
    })
    await rerender({ activeIndex: 800 }) // row 100
    const viewport = container.querySelector('[data-testid="virtual-grid"]') as HTMLElement
    expect(viewport.scrollTop).toBe(100 * 100 + 100 - 600)
    expect(container.querySelector('[data-index="800"]')).not.toBeNull()
  })
})
