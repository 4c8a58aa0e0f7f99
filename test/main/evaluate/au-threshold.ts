/**
 * The acceptance threshold of the AU heads measured within each class (core/evaluate/au-truth.ts).
 * A head that encodes only the class scores CLASS_ONLY_WITHIN_CLASS_AUROC = 0.5 by construction (every
 * within-class pair ties); the bar is that plus a margin a class-only head cannot reach by chance at
 * the acceptance test's size (see au-truth.test.ts, which plants such a head).
 */
import { CLASS_ONLY_WITHIN_CLASS_AUROC } from '../../../src-main/core/evaluate/au-truth'

export const AU_WITHIN_CLASS_MARGIN = 0.1
export const AU_WITHIN_CLASS_MIN = CLASS_ONLY_WITHIN_CLASS_AUROC + AU_WITHIN_CLASS_MARGIN
