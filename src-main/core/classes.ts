/**
 * Canonical expression classes, name normalisation and the AU–expression prior (Table I of the POI
 * paper, ../shared/poi-spec.md §3). Pure data: imported by the core, the CLI and (types only) the renderer.
 */

/**
 * The canonical class names, in the order used everywhere a class is an index (model outputs, the
 * `label` columns of the project database, keys 1–8 in the review UI). The order is FERPlus's
 * (neutral, happiness, surprise, sadness, anger, disgust, fear, contempt), so FERPlus vote columns map
 * straight onto it. A project uses a subset (e.g. 7 classes without contempt) and stores its own
 * ordered list; indices are always into the project's list, never into this one.
 */
export const CANONICAL_CLASSES = [
  'neutral',
  'happiness',
  'surprise',
  'sadness',
  'anger',
  'disgust',
  'fear',
  'contempt'
] as const

export type ClassName = (typeof CANONICAL_CLASSES)[number]

/** The 7 classes of FER2013 / RAF-DB / CK+ (no contempt), in canonical order. */
export const SEVEN_CLASSES: readonly ClassName[] = CANONICAL_CLASSES.filter((c) => c !== 'contempt')

/** Spellings seen in the wild, lower-cased, mapped onto the canonical names. */
const ALIASES: Record<string, ClassName> = {
  neutral: 'neutral',
  neutrality: 'neutral',
  ne: 'neutral',
  neu: 'neutral',
  calm: 'neutral',
  happy: 'happiness',
  happiness: 'happiness',
  joy: 'happiness',
  ha: 'happiness',
  hap: 'happiness',
  surprise: 'surprise',
  surprised: 'surprise',
  su: 'surprise',
  sur: 'surprise',
  sad: 'sadness',
  sadness: 'sadness',
  sa: 'sadness',
  angry: 'anger',
  anger: 'anger',
  an: 'anger',
  ang: 'anger',
  disgust: 'disgust',
  disgusted: 'disgust',
  di: 'disgust',
  dis: 'disgust',
  fear: 'fear',
  fearful: 'fear',
  afraid: 'fear',
  fe: 'fear',
  fea: 'fear',
  contempt: 'contempt',
  co: 'contempt',
  con: 'contempt'
}

/**
 * Maps a class name as written in a dataset ("Angry", " happy ", "HAP") to its canonical name, or
 * returns null when it is not an expression class we know. Never guesses beyond the alias table.
 */
export function normaliseClassName(raw: string): ClassName | null {
  const key = raw
    .trim()
    .toLowerCase()
    .replace(/[\s_-]+/g, '')
  return ALIASES[key] ?? null
}

/** Puts a set of canonical names into canonical order (the order a project's class list uses). */
export function canonicalOrder(names: Iterable<ClassName>): ClassName[] {
  const set = new Set(names)
  return CANONICAL_CLASSES.filter((c) => set.has(c))
}

/** AU ids of the eye (upper-face) branch P1, in head order. */
export const EYE_AUS = [1, 2, 4, 5, 6, 9] as const
/** AU ids of the mouth (lower-face) branch P2, in head order. */
export const MOUTH_AUS = [10, 12, 14, 15, 17, 24, 26] as const
/** All AUs of the prior, eye then mouth. */
export const ALL_AUS = [...EYE_AUS, ...MOUTH_AUS] as const

/** Table I of the paper (STATED-P): AUs with > 70 % conditional probability, split by region. */
export const AU_PRIOR: Record<ClassName, { eye: number[]; mouth: number[] }> = {
  happiness: { eye: [6], mouth: [12, 26] },
  fear: { eye: [1, 4, 5], mouth: [26] },
  anger: { eye: [4], mouth: [24] },
  surprise: { eye: [1, 2, 5], mouth: [26] },
  sadness: { eye: [1, 4], mouth: [15, 17] },
  disgust: { eye: [9], mouth: [10, 17] },
  contempt: { eye: [], mouth: [14] },
  // Not in Table I; no associated AUs, so all pseudolabels are 0 (spec §3, RECONSTRUCTED).
  neutral: { eye: [], mouth: [] }
}

/** Human-readable AU names (FACS), for explanations. */
export const AU_NAMES: Record<number, string> = {
  1: 'inner brow raiser',
  2: 'outer brow raiser',
  4: 'brow lowerer',
  5: 'upper lid raiser',
  6: 'cheek raiser',
  9: 'nose wrinkler',
  10: 'upper lip raiser',
  12: 'lip corner puller',
  14: 'dimpler',
  15: 'lip corner depressor',
  17: 'chin raiser',
  24: 'lip pressor',
  26: 'jaw drop'
}
