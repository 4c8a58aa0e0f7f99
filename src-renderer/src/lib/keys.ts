/**
 * The review keyboard map (pure): a key event → one review action. The review store executes the
 * action; the help overlay lists KEY_HELP. Letters are matched case-insensitively except Z, whose
 * shifted form is redo.
 */

export type ReviewAction =
  | { type: 'class'; index: number }
  | { type: 'accept' }
  | { type: 'keep' }
  | { type: 'exclude' }
  | { type: 'ambiguous' }
  | { type: 'skip' }
  | { type: 'move'; delta: number; unit: 'item' | 'row' }
  | { type: 'undo' }
  | { type: 'redo' }
  | { type: 'help' }
  | { type: 'escape' }
  /** Scroll the detail pane: a page down/up, or to its top/bottom. */
  | { type: 'scroll'; to: 'down' | 'up' | 'top' | 'bottom' }
  /** Show or hide the region outlines on the face. */
  | { type: 'overlay' }
  /** Enlarge the face to the pane's width, or back. */
  | { type: 'zoom' }
  /** Add the open image to the selection, or take it out. */
  | { type: 'toggleSelect' }
  /** Move and extend the selection over the images passed (Shift + a move key). */
  | { type: 'extend'; delta: number; unit: 'item' | 'row' }
  /** Select every image of the queue (its current filter). */
  | { type: 'selectAll' }
  /** Switch the queue between thumbnails and the table. */
  | { type: 'view' }

/** The parts of a KeyboardEvent the map reads. */
export interface KeyLike {
  key: string
  shiftKey?: boolean
  ctrlKey?: boolean
  metaKey?: boolean
  altKey?: boolean
}

/**
 * Maps a key to an action, or null for keys the review does not use (they keep their default).
 * Ctrl/Cmd/Alt combinations are left to the browser (copy, reload, ...), except Ctrl+Z / Ctrl+Shift+Z
 * and Ctrl+Y, which curators expect to undo and redo.
 */
export function keyToAction(e: KeyLike, classCount: number): ReviewAction | null {
  const k = e.key
  if (e.ctrlKey || e.metaKey) {
    if (k === 'z' || k === 'Z') return e.shiftKey ? { type: 'redo' } : { type: 'undo' }
    if (k === 'a' || k === 'A') return { type: 'selectAll' }
    if (k === 'y' || k === 'Y') return { type: 'redo' }
    return null
  }
  if (e.altKey) return null
  if (e.shiftKey) {
    const ext: Record<string, [number, 'item' | 'row']> = {
      ArrowRight: [1, 'item'],
      ArrowLeft: [-1, 'item'],
      ArrowDown: [1, 'row'],
      ArrowUp: [-1, 'row'],
      J: [1, 'item'],
      K: [-1, 'item']
    }
    const x = ext[k]
    if (x) return { type: 'extend', delta: x[0], unit: x[1] }
  }
  if (/^[1-9]$/.test(k)) {
    const index = Number(k) - 1
    return index < classCount ? { type: 'class', index } : null
  }
  switch (k) {
    case 'Enter':
      return { type: 'accept' }
    case 'ArrowRight':
      return { type: 'move', delta: 1, unit: 'item' }
    case 'ArrowLeft':
      return { type: 'move', delta: -1, unit: 'item' }
    case 'ArrowDown':
      return { type: 'move', delta: 1, unit: 'row' }
    case 'ArrowUp':
      return { type: 'move', delta: -1, unit: 'row' }
    case 'PageDown':
      return { type: 'scroll', to: 'down' }
    case 'PageUp':
      return { type: 'scroll', to: 'up' }
    case ' ':
      return { type: 'scroll', to: e.shiftKey ? 'up' : 'down' }
    case 'Home':
      return { type: 'scroll', to: 'top' }
    case 'End':
      return { type: 'scroll', to: 'bottom' }
    case '?':
      return { type: 'help' }
    case 'Escape':
      return { type: 'escape' }
    case 'Z':
      return { type: 'redo' }
    case 'z':
      return e.shiftKey ? { type: 'redo' } : { type: 'undo' }
  }
  switch (k.length === 1 ? k.toLowerCase() : '') {
    case 'w':
      return { type: 'accept' }
    case 'q':
      return { type: 'keep' }
    case 'e':
      return { type: 'exclude' }
    case 'a':
      return { type: 'ambiguous' }
    case 's':
      return { type: 'skip' }
    case 'j':
      return { type: 'move', delta: 1, unit: 'item' }
    case 'k':
      return { type: 'move', delta: -1, unit: 'item' }
    case 'r':
      return { type: 'overlay' }
    case 'f':
      return { type: 'zoom' }
    case 'x':
      return { type: 'toggleSelect' }
    case 't':
      return { type: 'view' }
  }
  return null
}

/** True when keys should go to a form control rather than to the review. */
export function isTypingTarget(target: EventTarget | null): boolean {
  if (!target || typeof (target as Element).closest !== 'function') return false
  const el = target as HTMLElement
  if (el.isContentEditable) return true
  return !!el.closest('input, textarea, select, [contenteditable="true"]')
}

/**
 * Elements that own Enter, Space and digits themselves: activating a focused button, link, tab or
 * menu, toggling a summary, typing into a field. A review key pressed there would record a decision
 * the curator did not mean (issue 14, defect 1).
 */
const CONTROLS =
  'a[href], button, input, select, textarea, summary, option, [role=button], [role=link], [role=tab], [role=menu], [role=menuitem], [role=checkbox], [role=radio], [role=switch], [role=dialog], [contenteditable="true"]'

/** True when focus is on a control (or inside one), which keeps its keys; see CONTROLS. */
export function isControlTarget(target: EventTarget | null): boolean {
  if (!target || typeof (target as Element).closest !== 'function') return false
  const el = target as HTMLElement
  return el.isContentEditable || !!el.closest(CONTROLS)
}

/**
 * Whether the review may take this action from a key pressed on `target`. Decisions, moves and undo
 * act only from the grid, the detail pane or the page body; on a control only the help toggle and
 * Escape (which the control may have handled first) get through, and never from a text field.
 */
export function reviewKeyAllowed(action: ReviewAction, target: EventTarget | null): boolean {
  if (isTypingTarget(target)) return false
  if (!isControlTarget(target)) return true
  return action.type === 'help' || action.type === 'escape'
}

/** The keyboard help, in display order. */
export const KEY_HELP: { keys: string[]; what: string }[] = [
  { keys: ['1', '…', '8'], what: 'Set the class with that number (the grid selection when several are selected)' },
  { keys: ['Enter', 'W'], what: "Accept the model's suggested label" },
  { keys: ['Q'], what: 'Keep the given label (it is right)' },
  { keys: ['E'], what: 'Exclude the image (not a usable face)' },
  { keys: ['A'], what: "Mark ambiguous (keeps the model's soft label)" },
  { keys: ['S'], what: 'Skip: decide later' },
  { keys: ['→', 'J'], what: 'Next image' },
  { keys: ['←', 'K'], what: 'Previous image' },
  { keys: ['↓', '↑'], what: 'Next / previous grid row' },
  { keys: ['Space', 'PgDn'], what: 'Scroll the detail pane down (Shift+Space, PgUp: up; Home / End: top / bottom)' },
  { keys: ['R'], what: 'Show / hide the region outlines on the face' },
  { keys: ['F'], what: 'Enlarge the face / back' },
  { keys: ['Z'], what: 'Undo your last decision' },
  { keys: ['Shift', 'Z'], what: 'Redo' },
  { keys: ['T'], what: 'Queue as thumbnails / as a sortable table' },
  { keys: ['X'], what: 'Add the open image to the selection / take it out' },
  { keys: ['Shift', '→'], what: 'Extend the selection (also Shift + ← ↑ ↓ J K)' },
  { keys: ['Ctrl', 'A'], what: 'Select every image of the queue (its current filter)' },
  {
    keys: ['Q', 'E', 'A', 'Enter', '1…8'],
    what: 'With a selection: keep / exclude / ambiguous / accept suggestions / relabel all of it, after a count confirmation (Enter confirms, Esc cancels)'
  },
  { keys: ['Click'], what: 'Open an image' },
  { keys: ['Ctrl', 'Click'], what: 'Add to / remove from the selection' },
  { keys: ['Shift', 'Click'], what: 'Select a range' },
  { keys: ['Esc'], what: 'Clear the selection / close this help' },
  { keys: ['?'], what: 'Show or hide this help' }
]
