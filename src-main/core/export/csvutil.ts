/** CSV cells (RFC 4180) and the optional spreadsheet-safe escaping of free text. */

/** Quotes a cell when it holds a delimiter, quote, line break or edge whitespace. */
export function csvCell(v: string | number | null | undefined): string {
  if (v == null) return ''
  const s = String(v)
  return /[",\r\n]|^\s|\s$/.test(s) ? `"${s.replace(/"/g, '""')}"` : s
}

export function csvLine(cells: readonly (string | number | null | undefined)[]): string {
  return cells.map(csvCell).join(',') + '\n'
}

/** Leading characters that make spreadsheet apps evaluate a cell as a formula (OWASP ASVS 5.0 1.2.10). */
const FORMULA_START = /^[=+\-@\t\r]/

/**
 * Spreadsheet-safe form of a free-text cell: a leading `'` when it starts with = + - @ TAB or CR.
 * Applied only in the optional spreadsheet-safe mode, because it changes the data for ML readers.
 */
export function spreadsheetSafe(s: string | null): string | null {
  return s != null && FORMULA_START.test(s) ? `'${s}` : s
}

/** Reverses {@link spreadsheetSafe} (for reading back an export written in that mode). */
export function unSpreadsheetSafe(s: string): string {
  return s.startsWith("'") && FORMULA_START.test(s.slice(1)) ? s.slice(1) : s
}

/** A number with at most 6 decimals (probabilities, scores), or '' for null. */
export function num6(v: number | null | undefined): string {
  return v == null || !Number.isFinite(v) ? '' : String(Math.round(v * 1e6) / 1e6)
}
