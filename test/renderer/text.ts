/**
 * The text of an element as a reader sees it: runs of whitespace (line breaks and indentation of the
 * markup) collapse to one space, as CSS `white-space: normal` renders them. Assertions on sentences use
 * this, so re-wrapping the markup (the formatter breaks long text lines) does not change what they check.
 */
export function visibleText(el: Element): string {
  return (el.textContent ?? '').replace(/\s+/g, ' ').trim()
}
