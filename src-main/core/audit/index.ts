/** The audit engine: signals, flags, confident learning, explanations and their storage. */
export {
  AUDIT_CONFIG_VERSION,
  applyOverrides,
  auditConfigSchema,
  resolveAuditConfig,
  type AuditConfig,
  type AuditConfigInput
} from './config'
export { ACTIONABLE_MASK, FLAG_BITS, FLAG_NAMES, flagMask, flagNames, isFlagName, type FlagName } from './flags'
export {
  computeAudit,
  type AuditImage,
  type AuditItem,
  type AuditPrediction,
  type EngineSummary,
  type ItemSignals
} from './engine'
export { explain, type Explanation, type HalfExplanation, type AuEvidence } from './explain'
export * as cl from './cl'
export * as signals from './signals'
export {
  AUDIT_SUMMARY_VERSION,
  auditItems,
  auditSummary,
  deleteAudit,
  getAudit,
  getAuditItem,
  latestAudit,
  listAudits,
  runAudit,
  type AuditItemQuery,
  type AuditItemRecord,
  type AuditProgress,
  type AuditRecord,
  type AuditSummary,
  type AuditSummaryTable,
  type RunAuditOptions
} from './store'
