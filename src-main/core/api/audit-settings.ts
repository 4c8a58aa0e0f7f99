// The app's five audit settings (contract AuditSettings) and where each lives in the engine's AuditConfig.
// One table for both directions: audit.run turns settings into a config, overview.stats reads them back.
import type { AuditConfig, AuditConfigInput } from '../audit/config'
import type { AuditSettings } from './contract'

const PATHS = {
  thresholdScale: ['mislabeled', 'thresholdScale'],
  minMargin: ['mislabeled', 'minMargin'],
  confidencePercentile: ['ambiguous', 'confidencePercentile'],
  flatEntropy: ['ambiguous', 'flatEntropy'],
  regionMinStrength: ['regionConflict', 'minStrength']
} as const satisfies Record<keyof AuditSettings, readonly [keyof AuditConfig, string]>

const KEYS = Object.keys(PATHS) as (keyof AuditSettings)[]

/** The given settings as an AuditConfig input; settings not given keep the engine's defaults. */
export function auditConfigFromSettings(s: Partial<AuditSettings> | undefined): AuditConfigInput {
  const c: Record<string, Record<string, number>> = {}
  for (const k of KEYS) {
    const v = s?.[k]
    if (v == null) continue
    const [section, field] = PATHS[k]
    ;(c[section] ??= {})[field] = v
  }
  return c as AuditConfigInput
}

/** The five settings an audit ran with. */
export function settingsOfConfig(c: AuditConfig): AuditSettings {
  const read = (k: keyof AuditSettings): number => {
    const [section, field] = PATHS[k]
    return (c[section] as unknown as Record<string, number>)[field]
  }
  return Object.fromEntries(KEYS.map((k) => [k, read(k)])) as unknown as AuditSettings
}
