/** Small display helpers shared by the views (pure, no state). */

/** "happiness" → "Happiness". */
export function title(s: string): string {
  return s.length ? s[0].toUpperCase() + s.slice(1) : s
}

/** A class index as its name, or an em dash for null / out of range. */
export function className(classes: readonly string[], idx: number | null | undefined): string {
  if (idx == null || idx < 0 || idx >= classes.length) return '—'
  return classes[idx]
}

/** 0.8312 → "83%"; null → "—". */
export function pct(v: number | null | undefined, digits = 0): string {
  if (v == null || !Number.isFinite(v)) return '—'
  return `${(v * 100).toFixed(digits)}%`
}

/** A number with `digits` decimals, or an em dash. */
export function num(v: number | null | undefined, digits = 2): string {
  if (v == null || !Number.isFinite(v)) return '—'
  return v.toFixed(digits)
}

// One formatter: toLocaleString builds a new one per call, which shows up in keypress profiles.
const INT = new Intl.NumberFormat('en-US')

/** 12345 → "12,345". */
export function count(v: number | null | undefined): string {
  if (v == null) return '—'
  return INT.format(v)
}

/** 1 → "1 image", 12345 → "12,345 images" (`many` for irregular plurals). */
export function plural(n: number, one: string, many = `${one}s`): string {
  return `${count(n)} ${n === 1 ? one : many}`
}

/** Seconds → "1 h 02 min", "3 min 05 s", "12 s". */
export function duration(sec: number | null | undefined): string {
  if (sec == null || !Number.isFinite(sec) || sec < 0) return '—'
  const s = Math.round(sec)
  if (s < 60) return `${s} s`
  const m = Math.floor(s / 60)
  if (m < 60) return `${m} min ${String(s % 60).padStart(2, '0')} s`
  return `${Math.floor(m / 60)} h ${String(m % 60).padStart(2, '0')} min`
}

/** ISO-8601 → local "2026-11-28 14:03:11". */
export function when(iso: string | null | undefined): string {
  if (!iso) return '—'
  const d = new Date(iso)
  if (Number.isNaN(d.getTime())) return iso
  const p = (n: number): string => String(n).padStart(2, '0')
  return `${d.getFullYear()}-${p(d.getMonth() + 1)}-${p(d.getDate())} ${p(d.getHours())}:${p(d.getMinutes())}:${p(d.getSeconds())}`
}

/** The key that sets class `idx` in the review (1-based digit), or '' past 9. */
export function classKey(idx: number): string {
  return idx < 9 ? String(idx + 1) : ''
}

/**
 * What the UI shows for a failed call: the server's message as it is (core/fsutil/describe.ts words it
 * like the CLI's `poi-audit: …`, naming the file or value and what to do). The machine code (IO_ERROR,
 * INVALID_ARGS…) means nothing to a curator and is left out.
 */
export function errorText(e: { code: string; message: string }): string {
  return e.message
}

/** Flags whose identifier alone says little to a curator (the model's parts by their role). */
const FLAG_WORDS: Record<string, string> = {
  duplicate_conflict: 'duplicate with another label',
  trn_disagrees: 'classifier disagrees',
  oim_disagrees: 'soft label disagrees'
}

/** An audit flag as words: "likely_mislabeled" → "likely mislabeled", "trn_disagrees" → "classifier disagrees". */
export function flagName(f: string): string {
  return FLAG_WORDS[f] ?? f.replace(/_/g, ' ')
}
