/**
 * Audit flags: names and their bit in `audit_items.flags`. The bit values are part of the on-disk
 * format (migration 0040 indexes them): never renumber, only append.
 */
export const FLAG_BITS = {
  /** Confident evidence for another class than the given label (per-class thresholds). */
  likely_mislabeled: 1,
  /** The regions disagree (low UEM confidence) and/or the soft label is flat. */
  ambiguous: 2,
  /** Eye regions (UL/UR) vote for another class than mouth regions (LL/LR), both trusted by the gate. */
  region_conflict: 4,
  /** Same bytes (images.dup_group) as another image with a different current label. */
  duplicate_conflict: 8,
  /** The face aligner found no face. */
  no_face: 16,
  /** The face aligner found several faces. */
  several_faces: 32,
  /** Informational (spec §5): argmax of the TRN probabilities ≠ given label. */
  trn_disagrees: 64,
  /** Informational (spec §5): argmax of the OIM soft label ≠ given label. */
  oim_disagrees: 128
} as const

export type FlagName = keyof typeof FLAG_BITS

/** Every flag, in bit order. */
export const FLAG_NAMES = Object.keys(FLAG_BITS) as FlagName[]

/** Flags that ask a curator to look (the informational *_disagrees flags are left out). */
export const ACTIONABLE_MASK =
  FLAG_BITS.likely_mislabeled |
  FLAG_BITS.ambiguous |
  FLAG_BITS.region_conflict |
  FLAG_BITS.duplicate_conflict |
  FLAG_BITS.no_face |
  FLAG_BITS.several_faces

export function isFlagName(s: string): s is FlagName {
  return Object.prototype.hasOwnProperty.call(FLAG_BITS, s)
}

/** Bitmask → names, in bit order. */
export function flagNames(mask: number): FlagName[] {
  return FLAG_NAMES.filter((n) => (mask & FLAG_BITS[n]) !== 0)
}

/** Names → bitmask; an unknown name is an error that lists the known ones. */
export function flagMask(names: Iterable<string>): number {
  let m = 0
  for (const n of names) {
    if (!isFlagName(n)) throw new Error(`unknown audit flag "${n}" (known: ${FLAG_NAMES.join(', ')})`)
    m |= FLAG_BITS[n]
  }
  return m
}
