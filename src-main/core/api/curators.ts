/**
 * Curator names (issue 17): who a decision is recorded as (label_history.actor) when several curators share one
 * `poi-audit serve` (--curators alice,bob). A name is 1–40 characters of letters, digits, '.', '_' and '-', so it
 * is safe in a URL, a log line and a shell, and cannot be confused with another after trimming.
 */
export const CURATOR_NAME = /^[A-Za-z0-9._-]{1,40}$/

export function isCuratorName(name: string): boolean {
  return CURATOR_NAME.test(name)
}

/** Parses "alice,bob": the names in order; throws an Error saying what is wrong (bad or repeated name, none). */
export function parseCuratorList(list: string): string[] {
  const names = list.split(',').map((n) => n.trim())
  const seen = new Set<string>()
  for (const n of names) {
    if (!isCuratorName(n))
      throw new Error(
        `curator name ${JSON.stringify(n)} is not valid: use 1–40 characters of letters, digits, '.', '_' or '-'`
      )
    if (seen.has(n)) throw new Error(`curator ${n} is named twice`)
    seen.add(n)
  }
  return names
}
