/**
 * The renderer's window onto the app API: the one client of `src-main/core/api/client.ts` and the
 * contract's types. Only types come from the contract module (it imports zod at run time, which the
 * UI bundle does not need); the few value lists the UI shows are restated here and checked against
 * the contract's types with `satisfies`.
 */
export { createClient, detectTransport, unwrap, ApiCallError } from '../../../src-main/core/api/client'
export type { ApiClient, Transport } from '../../../src-main/core/api/client'
export type {
  ApiErrorCode,
  ApiEvent,
  ApiResult,
  AppInfo,
  AnnotationView,
  AssignmentFilter,
  AssignmentView,
  AuditRowFields,
  AuditSettings,
  AuditThresholdsView,
  AuditView,
  ConfidenceSpread,
  ConsensusView,
  Decision,
  ExportScope,
  HistoryEntryView,
  ImageCounts,
  ImageDetail,
  ImportSummary,
  JobInfo,
  JsonValue,
  LabelState,
  LearningQueueState,
  OverviewStats,
  PredictionView,
  ProjectInfo,
  QueueFilter,
  QueueItem,
  QueuePage,
  QueueSort,
  RecentProject,
  RegionView,
  ReviewState,
  RunComparisonView,
  RunDetail,
  RunSummary,
  DoctorReport,
  TrainConfig,
  TrainProgress,
  TrainStatus
} from '../../../src-main/core/api/contract'
import type {
  ReviewState,
  HistorySource,
  EXPORT_FORMATS as C_EXPORT,
  IMPORT_FORMATS as C_IMPORT,
  TRAIN_BACKENDS as C_BACKENDS,
  TRAIN_BACKBONES as C_BACKBONES,
  AUDIT_SETTING_RANGES as C_RANGES
} from '../../../src-main/core/api/contract'

export type { HistorySource }

/** Review decisions a curator can record (the contract's REVIEW_STATES). */
export const REVIEW_STATES = [
  'accepted',
  'kept',
  'relabeled',
  'excluded',
  'ambiguous',
  'skipped'
] as const satisfies readonly ReviewState[]
export const HISTORY_SOURCES = ['import', 'curator', 'bulk', 'revert'] as const satisfies readonly HistorySource[]
export const EXPORT_FORMATS = [
  'csv',
  'jsonl',
  'ferplus',
  'folders',
  'labelstudio',
  'cleanlab'
] as const satisfies typeof C_EXPORT
export const IMPORT_FORMATS = [
  'auto',
  'folder',
  'csv',
  'ferplus',
  'rafdb',
  'affectnet',
  'demo'
] as const satisfies typeof C_IMPORT
export const TRAIN_BACKENDS = ['auto', 'tfjs-node-gpu', 'tfjs-node', 'wasm', 'cpu'] as const satisfies typeof C_BACKENDS
export const INPUT_SIZES = [48, 64, 112, 224] as const
/** [min, max] of each audit setting (the contract's AUDIT_SETTING_RANGES; the type check keeps them equal). */
export const AUDIT_SETTING_RANGES = {
  thresholdScale: [0.05, 5],
  minMargin: [-1, 1],
  confidencePercentile: [0, 1],
  flatEntropy: [0, 1],
  regionMinStrength: [0, 1]
} as const satisfies typeof C_RANGES
export const TRAIN_BACKBONES = [
  'auto',
  'slim',
  'resnet18',
  'vgg',
  'faceapi-landmark',
  'faceapi-landmark-14',
  'faceapi-expression'
] as const satisfies typeof C_BACKBONES
/** Short names of the backbone choices, for the Train form's select. */
export const BACKBONE_LABELS: Record<(typeof TRAIN_BACKBONES)[number], string> = {
  auto: 'auto (best for this machine)',
  slim: 'Slim ResNet',
  resnet18: 'ResNet-18',
  vgg: 'VGG-style net',
  'faceapi-landmark': 'face-api landmarks 7×7',
  'faceapi-landmark-14': 'face-api landmarks 14×14',
  'faceapi-expression': 'face-api expression net'
}
/** What each choice means, shown under the select. */
export const BACKBONE_HELP: Record<(typeof TRAIN_BACKBONES)[number], string> = {
  auto: 'Native TensorFlow: the VGG-style net trained end to end. wasm: the frozen face-api landmark map. GPU: ResNet-18.',
  slim: 'A small ResNet trained from scratch: fast, needs more data.',
  resnet18: "The paper's backbone, trained from scratch end to end: slow on CPU, the choice on a GPU.",
  vgg: 'VGG-style net (4 stages × 2 convs, no early downsampling) trained end to end: the native-engine default for small faces.',
  'faceapi-landmark':
    'Pretrained landmark network, frozen (features cached once); POI heads on its 7×7 map. CPU default.',
  'faceapi-landmark-14': 'The same network read at 14×14: larger corner crops, slower.',
  'faceapi-expression': 'Pretrained on FER2013 expressions: never use it to audit FER2013 (it has seen those labels).'
}

export type ExportFormat = (typeof EXPORT_FORMATS)[number]
export type ImportFormat = (typeof IMPORT_FORMATS)[number]
