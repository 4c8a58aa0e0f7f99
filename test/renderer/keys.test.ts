import { describe, expect, it } from 'vitest'
import {
  keyToAction,
  isTypingTarget,
  isControlTarget,
  reviewKeyAllowed,
  KEY_HELP
} from '../../src-renderer/src/lib/keys'

describe('review key map', () => {
  const k = (key: string, mods: { shiftKey?: boolean; ctrlKey?: boolean; metaKey?: boolean; altKey?: boolean } = {}) =>
    keyToAction({ key, ...mods }, 7)

  it('maps digits to classes within the project only', () => {
    expect(k('1')).toEqual({ type: 'class', index: 0 })
    expect(k('7')).toEqual({ type: 'class', index: 6 })
    expect(k('8')).toBeNull()
    expect(keyToAction({ key: '8' }, 8)).toEqual({ type: 'class', index: 7 })
  })

  it('maps the decision letters in either case', () => {
    expect(k('Enter')).toEqual({ type: 'accept' })
    expect(k('w')).toEqual({ type: 'accept' })
    expect(k('W', { shiftKey: true })).toEqual({ type: 'accept' })
    expect(k('q')).toEqual({ type: 'keep' })
    expect(k('e')).toEqual({ type: 'exclude' })
    expect(k('a')).toEqual({ type: 'ambiguous' })
    expect(k('s')).toEqual({ type: 'skip' })
  })

  it('maps movement keys', () => {
    expect(k('ArrowRight')).toEqual({ type: 'move', delta: 1, unit: 'item' })
    expect(k('j')).toEqual({ type: 'move', delta: 1, unit: 'item' })
    expect(k('K')).toEqual({ type: 'move', delta: -1, unit: 'item' })
    expect(k('ArrowUp')).toEqual({ type: 'move', delta: -1, unit: 'row' })
  })

  it('Z undoes, Shift+Z and Ctrl+Y redo, other Ctrl keys stay with the browser', () => {
    expect(k('z')).toEqual({ type: 'undo' })
    expect(k('Z', { shiftKey: true })).toEqual({ type: 'redo' })
    expect(k('z', { ctrlKey: true })).toEqual({ type: 'undo' })
    expect(k('z', { ctrlKey: true, shiftKey: true })).toEqual({ type: 'redo' })
    expect(k('y', { ctrlKey: true })).toEqual({ type: 'redo' })
    expect(k('c', { ctrlKey: true })).toBeNull()
    expect(k('1', { altKey: true })).toBeNull()
    expect(k('y')).toBeNull()
    expect(k('?')).toEqual({ type: 'help' })
  })

  it('maps the pane keys: scroll, region outlines, zoom (issue 14, defect 3)', () => {
    expect(k(' ')).toEqual({ type: 'scroll', to: 'down' })
    expect(k(' ', { shiftKey: true })).toEqual({ type: 'scroll', to: 'up' })
    expect(k('PageDown')).toEqual({ type: 'scroll', to: 'down' })
    expect(k('End')).toEqual({ type: 'scroll', to: 'bottom' })
    expect(k('r')).toEqual({ type: 'overlay' })
    expect(k('F', { shiftKey: true })).toEqual({ type: 'zoom' })
  })

  it('leaves keys to form fields', () => {
    const input = document.createElement('input')
    const div = document.createElement('div')
    expect(isTypingTarget(input)).toBe(true)
    expect(isTypingTarget(div)).toBe(false)
    expect(isTypingTarget(null)).toBe(false)
  })

  it('documents every key it maps', () => {
    const text = KEY_HELP.flatMap((h) => h.keys).join(' ')
    for (const key of ['Enter', 'W', 'Q', 'E', 'A', 'Z', 'J', 'K', '?', 'Shift']) expect(text).toContain(key)
  })
})

describe('review key routing (issue 14, defect 1)', () => {
  const el = (html: string): Element => {
    const host = document.createElement('div')
    host.innerHTML = html
    document.body.append(host)
    return host.querySelector('[data-t]')!
  }

  it('decisions act from the grid, the pane and the body, never from a control', () => {
    expect(reviewKeyAllowed({ type: 'accept' }, document.body)).toBe(true)
    expect(reviewKeyAllowed({ type: 'class', index: 0 }, el('<div role="listbox" tabindex="0" data-t></div>'))).toBe(
      true
    )
    for (const html of [
      '<button data-t>x</button>',
      '<a href="#/history" data-t>History</a>',
      '<details><summary data-t>Flag</summary></details>',
      '<div role="tab" data-t></div>'
    ]) {
      expect(isControlTarget(el(html)), html).toBe(true)
      expect(reviewKeyAllowed({ type: 'accept' }, el(html)), html).toBe(false)
      expect(reviewKeyAllowed({ type: 'class', index: 1 }, el(html)), html).toBe(false)
      expect(reviewKeyAllowed({ type: 'help' }, el(html)), html).toBe(true)
    }
    for (const html of ['<input data-t>', '<select data-t></select>']) {
      expect(reviewKeyAllowed({ type: 'help' }, el(html)), html).toBe(false)
      expect(reviewKeyAllowed({ type: 'class', index: 1 }, el(html)), html).toBe(false)
    }
  })
})
