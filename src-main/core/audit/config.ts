/**
 * Every threshold the audit uses, in one object that is stored with each audit (audits.config), so
 * a result can always be traced to the numbers that produced it. Defaults follow
 * ../shared/poi-spec.md §5 (percentile-based terciles) and cleanlab's defaults for the CL baseline.
 */
import { z } from 'zod'

/** Version of the stored AuditConfig JSON; bump when a field changes meaning. */
export const AUDIT_CONFIG_VERSION = 1

const prob = z.number().min(0).max(1)

export const auditConfigSchema = z.strictObject({
  version: z.literal(AUDIT_CONFIG_VERSION).default(AUDIT_CONFIG_VERSION),
  /**
   * poi: POI signals (OIM soft label + TRN + UEM + regions). cl: the confident-learning baseline on
   * the run's TRN probabilities only (cleanlab's find_label_issues).
   */
  method: z.enum(['poi', 'cl']).default('poi'),
  /** Use the source's vote distribution (FERPlus) as the given label while the label is unchanged. */
  useVotes: z.boolean().default(true),
  score: z
    .strictObject({
      /** α in m = α·q + (1 − α)·p̂: weight of the OIM soft label (T = 1) against the TRN probabilities. */
      softWeight: prob.default(0.5),
      /**
       * f in the confidence weight w = f + (1 − f)·c (c = UEM confidence): how much of a
       * disagreement survives when the four regions disagree. 1 = ignore UEM.
       */
      confidenceFloor: prob.default(0.5)
    })
    .prefault({}),
  mislabeled: z
    .strictObject({
      /** Multiplies every per-class threshold t_j (1 = confident learning's mean self-confidence). */
      thresholdScale: z.number().min(0.05).max(5).default(1),
      /** Fixed thresholds by class name, replacing t_j for those classes. */
      thresholdOverrides: z.record(z.string(), prob).default({}),
      /** The suggestion must beat the given label by at least this much in m. */
      minMargin: z.number().min(-1).max(1).default(0),
      /**
       * Images whose UEM confidence lies below this percentile are not flagged as mislabeled (their
       * regions disagree: they belong to the ambiguous queue). 0 disables the gate.
       */
      minConfidencePercentile: prob.default(1 / 3)
    })
    .prefault({}),
  ambiguous: z
    .strictObject({
      /** UEM confidence below this percentile (default: the bottom tercile, spec §5). */
      confidencePercentile: prob.default(1 / 3),
      /** Soft-label entropy / ln C at or above this counts as a flat soft label (modes 'either', 'both', 'flat'). */
      flatEntropy: prob.default(0.75),
      /**
       * How the two criteria combine. Default 'confidence': the spec's definition (§5, c_i in the bottom
       * tercile), a minority by construction. 'either' (the old default) also took every image whose soft
       * label is flat, and flagged 66 % of FER2013 (23,575 of 35,887) — a flag that tells a curator nothing.
       */
      mode: z.enum(['either', 'both', 'confidence', 'flat']).default('confidence')
    })
    .prefault({}),
  regionConflict: z
    .strictObject({
      /**
       * Conflict strength = 2·min(G_eyes, G_mouth) · min(eye vote prob, mouth vote prob) when the
       * eye and mouth votes differ (G = summed gate weights); flagged at or above this.
       */
      minStrength: prob.default(0.3)
    })
    .prefault({}),
  explanation: z
    .strictObject({
      /** An AU counts as active at or above this occurrence probability. */
      auActive: prob.default(0.5),
      /** At most this many AUs per region in the explanation. */
      maxAus: z.number().int().min(0).max(7).default(3)
    })
    .prefault({}),
  cl: z
    .strictObject({
      /** Issue selection (cleanlab filter_by). */
      filterBy: z.enum(['prune_by_noise_rate', 'confident_learning']).default('prune_by_noise_rate'),
      /** Ranking score (cleanlab rank). */
      ranking: z.enum(['self_confidence', 'normalized_margin']).default('self_confidence'),
      minExamplesPerClass: z.number().int().min(0).default(1),
      fracNoise: z.number().gt(0).max(1).default(1)
    })
    .prefault({})
})

/** The resolved configuration (every field present). */
export type AuditConfig = z.output<typeof auditConfigSchema>
/** What callers may pass: any subset. */
export type AuditConfigInput = z.input<typeof auditConfigSchema>

/** Fills defaults and validates; the error names the bad field and value. */
export function resolveAuditConfig(input: AuditConfigInput = {}): AuditConfig {
  const r = auditConfigSchema.safeParse(input)
  if (!r.success) {
    const msg = r.error.issues.map((i) => `${i.path.join('.') || '(config)'}: ${i.message}`).join('; ')
    throw new Error(`invalid audit config: ${msg}`)
  }
  return r.data
}

/**
 * Applies `path=value` overrides (the CLI's `--threshold`), e.g. `ambiguous.confidencePercentile=0.25`,
 * `mislabeled.thresholdOverrides.disgust=0.4`, `method=cl`. Values parse as JSON when they can
 * (numbers, booleans), else as strings. Returns a validated config.
 */
export function applyOverrides(base: AuditConfigInput, overrides: readonly string[]): AuditConfig {
  const cfg = structuredClone(resolveAuditConfig(base)) as Record<string, unknown>
  for (const o of overrides) {
    const eq = o.indexOf('=')
    if (eq <= 0) throw new Error(`bad threshold "${o}": expected path=value, e.g. ambiguous.confidencePercentile=0.25`)
    const path = o.slice(0, eq).trim().split('.')
    const raw = o.slice(eq + 1).trim()
    let value: unknown
    try {
      value = JSON.parse(raw)
    } catch {
      value = raw
    }
    let node = cfg
    for (let i = 0; i < path.length - 1; i++) {
      const next = node[path[i]]
      if (next === undefined && path[i - 1] === 'thresholdOverrides') node[path[i]] = {}
      if (typeof node[path[i]] !== 'object' || node[path[i]] === null) {
        throw new Error(`bad threshold "${o}": ${path.slice(0, i + 1).join('.')} is not a group of settings`)
      }
      node = node[path[i]] as Record<string, unknown>
    }
    const last = path[path.length - 1]
    const isMapEntry = path.length >= 2 && path[path.length - 2] === 'thresholdOverrides'
    if (!(last in node) && !isMapEntry) throw new Error(`bad threshold "${o}": unknown setting ${path.join('.')}`)
    node[last] = value
  }
  return resolveAuditConfig(cfg as AuditConfigInput)
}
