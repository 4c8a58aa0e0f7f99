/**
 * Small helpers over plain number vectors (probability rows read back from tensors or SQLite BLOBs),
 * shared by the audit, the exports, the evaluation and the benchmarks so each is written once.
 */

/** Index of the largest value (first on ties); 0 for an empty vector. */
export function argmax(p: ArrayLike<number>): number {
  let best = 0
  for (let k = 1; k < p.length; k++) if (p[k] > p[best]) best = k
  return best
}
