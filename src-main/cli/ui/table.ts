/** Plain-text tables and lists for CLI output (no colours: output is often piped or logged). */

/** Numbers right-aligned, text left-aligned; columns separated by two spaces. */
export function formatTable(rows: readonly (readonly (string | number)[])[], indent = '  '): string {
  if (!rows.length) return ''
  const widths: number[] = []
  for (const r of rows) r.forEach((c, i) => (widths[i] = Math.max(widths[i] ?? 0, String(c).length)))
  return rows
    .map(
      (r) =>
        indent +
        r
          .map((c, i) => (typeof c === 'number' ? String(c).padStart(widths[i]) : String(c).padEnd(widths[i])))
          .join('  ')
          .trimEnd()
    )
    .join('\n')
}

/** The first `max` items, one per line, and "… and N more". */
export function formatList(items: readonly string[], max: number, indent = '    '): string {
  const lines = items.slice(0, max).map((s) => indent + s)
  if (items.length > max) lines.push(`${indent}… and ${items.length - max} more`)
  return lines.join('\n')
}
