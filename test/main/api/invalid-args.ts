/**
 * Hand-written invalid arguments per API method, each with the rejection it must get (a pattern the
 * INVALID_ARGS message must match: the field at fault, or the unknown key). Unlike the random fuzzer
 * (fuzz.ts), whose oracle is the contract's own schema, these are written from what the API promises
 * (strict objects, ranges, lengths, NUL bytes, class indices), so a schema that is too permissive
 * lets one through and the test fails.
 */
import type { z } from 'zod'
import { VALID_ARGS } from './fuzz'
import type { MethodName } from '../../../src-main/core/api/methods'

export interface InvalidCase {
  why: string
  args: unknown
  /** What the INVALID_ARGS message must name. */
  expect: RegExp
}

const extra = (m: MethodName): InvalidCase => ({
  why: 'an unknown key',
  args: { ...VALID_ARGS[m], sneaky: 1 },
  expect: /sneaky/
})
const notObject: InvalidCase = { why: 'arguments that are not an object', args: [1, 2], expect: /\(arguments\)/ }
const empty = (m: MethodName): InvalidCase[] => [extra(m), notObject]
const nul = 'a\u0000b'

export const INVALID_ARGS_BY_METHOD: { [M in MethodName]: InvalidCase[] } = {
  'app.info': empty('app.info'),
  'app.doctor': [extra('app.doctor'), { why: 'refresh not a boolean', args: { refresh: 'yes' }, expect: /refresh/ }],
  'dialog.open': [
    extra('dialog.open'),
    { why: 'unknown purpose', args: { purpose: 'format-disk' }, expect: /purpose/ },
    { why: 'missing purpose', args: {}, expect: /purpose/ }
  ],
  'project.open': [
    extra('project.open'),
    { why: 'empty path', args: { path: '' }, expect: /path/ },
    { why: 'NUL in path', args: { path: `/tmp/${nul}.poi` }, expect: /path/ },
    { why: 'path too long', args: { path: '/'.repeat(4097) }, expect: /path/ },
    { why: 'path not a string', args: { path: 42 }, expect: /path/ }
  ],
  'project.create': [
    extra('project.create'),
    { why: 'input size below 16', args: { path: '/tmp/x.poi', inputSize: 8 }, expect: /inputSize/ },
    { why: 'fractional input size', args: { path: '/tmp/x.poi', inputSize: 48.5 }, expect: /inputSize/ },
    { why: '2 channels', args: { path: '/tmp/x.poi', channels: 2 }, expect: /channels/ },
    { why: 'empty name', args: { path: '/tmp/x.poi', name: '' }, expect: /name/ }
  ],
  'project.close': empty('project.close'),
  'project.recent': empty('project.recent'),
  'project.info': empty('project.info'),
  'import.start': [
    extra('import.start'),
    { why: 'unknown format', args: { source: '/tmp/d', format: 'zip' }, expect: /format/ },
    { why: 'unknown split', args: { source: '/tmp/d', format: 'folder', split: 'holdout' }, expect: /split/ },
    { why: 'align not boolean', args: { source: '/tmp/d', format: 'folder', align: 'yes' }, expect: /align/ },
    { why: 'NUL in labels file', args: { source: '/tmp/d', format: 'csv', labelsFile: nul }, expect: /labelsFile/ }
  ],
  'import.report': [extra('import.report'), { why: 'import id 0', args: { importId: 0 }, expect: /importId/ }],
  'images.queue': [
    extra('images.queue'),
    { why: 'limit above the page size', args: { limit: 501 }, expect: /limit/ },
    { why: 'class index out of range', args: { filter: { given: [16] } }, expect: /filter\.given/ },
    { why: 'unknown key inside the filter', args: { filter: { given: [1], where: '1=1' } }, expect: /where/ },
    { why: 'confidence above 1', args: { filter: { confidence: { min: 0, max: 1.5 } } }, expect: /confidence\.max/ },
    { why: 'unknown sort', args: { sort: { by: 'label' } }, expect: /sort\.by/ },
    { why: 'malformed flag name', args: { filter: { flags: ['Robert"); DROP'] } }, expect: /filter\.flags/ },
    { why: 'assigned to someone else', args: { filter: { assigned: 'bob' } }, expect: /filter\.assigned/ },
    { why: 'unknown review scope', args: { filter: { review: 'disputed' } }, expect: /filter\.review/ }
  ],
  'images.counts': [
    extra('images.counts'),
    { why: 'unknown split', args: { filter: { splits: ['holdout'] } }, expect: /filter\.splits/ }
  ],
  'images.detail': [
    extra('images.detail'),
    { why: 'missing image id', args: {}, expect: /imageId/ },
    { why: 'negative image id', args: { imageId: -1 }, expect: /imageId/ },
    { why: 'image id as string', args: { imageId: '1' }, expect: /imageId/ },
    { why: 'unsafe integer', args: { imageId: 2 ** 60 }, expect: /imageId/ }
  ],
  'review.decide': [
    extra('review.decide'),
    { why: 'relabel without a label', args: { imageId: 1, decision: { kind: 'relabel' } }, expect: /decision\.label/ },
    { why: 'unknown decision', args: { imageId: 1, decision: { kind: 'delete' } }, expect: /decision/ },
    { why: 'extra key in the decision', args: { imageId: 1, decision: { kind: 'keep', label: 2 } }, expect: /label/ },
    {
      why: 'soft label above 1',
      args: { imageId: 1, decision: { kind: 'ambiguous', softLabel: [0.5, 1.5] } },
      expect: /softLabel/
    },
    {
      why: 'reason too long',
      args: { imageId: 1, decision: { kind: 'keep' }, reason: 'x'.repeat(501) },
      expect: /reason/
    }
  ],
  'review.undo': empty('review.undo'),
  'review.redo': empty('review.redo'),
  'review.undoState': empty('review.undoState'),
  'review.bulkRelabel': [
    extra('review.bulkRelabel'),
    { why: 'no images', args: { imageIds: [], label: 1 }, expect: /imageIds/ },
    {
      why: 'more than the bulk limit',
      args: { imageIds: Array.from({ length: 10_001 }, (_, i) => i + 1), label: 1 },
      expect: /imageIds/
    },
    { why: 'label not an index', args: { imageIds: [1], label: 'happiness' }, expect: /label/ }
  ],
  'review.bulkDecide': [
    extra('review.bulkDecide'),
    { why: 'no images', args: { imageIds: [], kind: 'keep' }, expect: /imageIds/ },
    { why: 'unknown kind', args: { imageIds: [1], kind: 'delete' }, expect: /kind/ },
    { why: 'strength above 1', args: { imageIds: [1], kind: 'accept', minStrength: 1.5 }, expect: /minStrength/ },
    { why: 'label not an index', args: { imageIds: [1], kind: 'relabel', label: 'anger' }, expect: /label/ },
    { why: 'NUL in reason', args: { imageIds: [1], kind: 'keep', reason: nul }, expect: /reason/ }
  ],
  'assignments.list': empty('assignments.list'),
  'assignments.set': [
    extra('assignments.set'),
    { why: 'missing actor', args: { filter: {} }, expect: /actor/ },
    { why: 'empty actor', args: { actor: '', filter: {} }, expect: /actor/ },
    { why: 'blank actor', args: { actor: '   ', filter: {} }, expect: /actor/ },
    { why: 'NUL in actor', args: { actor: nul, filter: {} }, expect: /actor/ },
    { why: 'actor too long', args: { actor: 'a'.repeat(129), filter: {} }, expect: /actor/ },
    { why: 'missing filter', args: { actor: 'bob' }, expect: /filter/ },
    { why: 'an assignment of assignments', args: { actor: 'bob', filter: { assigned: 'me' } }, expect: /assigned/ },
    { why: 'unknown key inside the filter', args: { actor: 'bob', filter: { where: '1=1' } }, expect: /where/ },
    { why: 'class index out of range', args: { actor: 'bob', filter: { given: [16] } }, expect: /filter\.given/ }
  ],
  'assignments.remove': [
    extra('assignments.remove'),
    { why: 'missing actor', args: {}, expect: /actor/ },
    { why: 'actor not a string', args: { actor: 7 }, expect: /actor/ }
  ],
  'queue.learning': empty('queue.learning'),
  'queue.setLearning': [
    extra('queue.setLearning'),
    notObject,
    { why: 'every 0', args: { every: 0 }, expect: /every/ },
    { why: 'every not an integer', args: { every: 2.5 }, expect: /every/ },
    { why: 'every above the cap', args: { every: 100_001 }, expect: /every/ },
    { why: 'enabled not a boolean', args: { enabled: 'yes' }, expect: /enabled/ },
    { why: 'unknown method', args: { method: 'network' }, expect: /method/ }
  ],
  'queue.rerank': [extra('queue.rerank'), notObject, { why: 'wait not a boolean', args: { wait: 1 }, expect: /wait/ }],
  'history.list': [
    extra('history.list'),
    { why: 'limit above 500', args: { limit: 501 }, expect: /limit/ },
    { why: 'unknown source', args: { source: 'robot' }, expect: /source/ }
  ],
  'history.revert': [
    extra('history.revert'),
    { why: 'no entries', args: { entryIds: [] }, expect: /entryIds/ },
    { why: 'entry id 0', args: { entryIds: [0] }, expect: /entryIds/ }
  ],
  'overview.stats': empty('overview.stats'),
  'consensus.get': [
    extra('consensus.get'),
    notObject,
    { why: 'unknown method', args: { method: 'vote' }, expect: /method/ },
    { why: 'run id 0', args: { runId: 0 }, expect: /runId/ },
    { why: 'run id as a string', args: { runId: '1' }, expect: /runId/ },
    { why: 'image id not an integer', args: { imageIds: [1.5] }, expect: /imageIds/ },
    { why: 'too many image ids', args: { imageIds: Array.from({ length: 501 }, (_, i) => i + 1) }, expect: /imageIds/ },
    { why: 'includeGiven not a boolean', args: { includeGiven: 'yes' }, expect: /includeGiven/ },
    { why: 'refresh not a boolean', args: { refresh: 1 }, expect: /refresh/ },
    { why: 'wait not a boolean', args: { wait: 'yes' }, expect: /wait/ }
  ],
  'runs.list': empty('runs.list'),
  'runs.detail': [
    extra('runs.detail'),
    { why: 'missing run id', args: {}, expect: /runId/ },
    { why: 'run id 0', args: { runId: 0 }, expect: /runId/ },
    { why: 'fractional run id', args: { runId: 1.5 }, expect: /runId/ }
  ],
  'train.start': [
    extra('train.start'),
    { why: 'unknown key in the config', args: { config: { epochs: 2, dropout: 0.5 } }, expect: /dropout/ },
    { why: 'one fold', args: { config: { folds: 1 } }, expect: /folds/ },
    { why: 'zero epochs', args: { config: { epochs: 0 } }, expect: /epochs/ },
    { why: 'learning rate 0', args: { config: { learningRate: 0 } }, expect: /learningRate/ },
    { why: 'unsupported input size', args: { config: { inputSize: 50 } }, expect: /inputSize/ },
    { why: 'unknown backbone', args: { config: { backbone: 'vgg16' } }, expect: /backbone/ },
    { why: 'fromRun 0', args: { config: {}, fromRun: 0 }, expect: /fromRun/ },
    { why: 'fromRun a string', args: { config: {}, fromRun: '3' }, expect: /fromRun/ }
  ],
  'train.cancel': empty('train.cancel'),
  'runs.compare': [
    extra('runs.compare'),
    { why: 'missing b', args: { a: 1 }, expect: /\bb\b/ },
    { why: 'run id 0', args: { a: 0, b: 2 }, expect: /\ba\b/ },
    { why: 'fractional run id', args: { a: 1, b: 2.5 }, expect: /\bb\b/ }
  ],
  'train.resume': [extra('train.resume'), { why: 'missing run id', args: {}, expect: /runId/ }],
  'train.status': empty('train.status'),
  'audit.run': [
    extra('audit.run'),
    { why: 'threshold scale above 5', args: { settings: { thresholdScale: 6 } }, expect: /thresholdScale/ },
    { why: 'percentile above 1', args: { settings: { confidencePercentile: 2 } }, expect: /confidencePercentile/ },
    { why: 'unknown setting', args: { settings: { temperature: 2 } }, expect: /temperature/ }
  ],
  'export.start': [
    extra('export.start'),
    { why: 'unknown format', args: { format: 'xlsx', scope: { kind: 'all' } }, expect: /format/ },
    { why: 'unknown scope', args: { format: 'csv', scope: { kind: 'everything' } }, expect: /scope/ },
    { why: 'ids scope without ids', args: { format: 'csv', scope: { kind: 'ids', ids: [] } }, expect: /scope\.ids/ },
    { why: 'unknown option', args: { format: 'csv', scope: { kind: 'all' }, options: { zip: true } }, expect: /zip/ },
    { why: 'NUL in destination', args: { format: 'csv', scope: { kind: 'all' }, dest: nul }, expect: /dest/ }
  ],
  'export.plan': [
    extra('export.plan'),
    { why: 'unknown format', args: { format: 'xlsx' }, expect: /format/ },
    { why: 'NUL in destination', args: { format: 'csv', dest: nul }, expect: /dest/ },
    { why: 'empty destination', args: { format: 'csv', dest: '' }, expect: /dest/ }
  ],
  'jobs.list': empty('jobs.list'),
  'jobs.cancel': [
    extra('jobs.cancel'),
    { why: 'empty job id', args: { jobId: '' }, expect: /jobId/ },
    { why: 'job id too long', args: { jobId: 'j'.repeat(65) }, expect: /jobId/ }
  ]
}

/** The cases a schema accepts although they must be refused (empty = the schema is strict enough). */
export function acceptedInvalid(schema: z.ZodType, cases: readonly InvalidCase[]): string[] {
  return cases.filter((c) => schema.safeParse(c.args).success).map((c) => c.why)
}
