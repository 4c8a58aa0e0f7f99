/**
 * The names of every API method and the IPC channel names, with no dependencies at all.
 *
 * Why a separate module: the sandboxed preload may only `require('electron')`, so it cannot pull in
 * zod. It imports this list to generate its verbs; `contract.ts` checks at compile time that its
 * schema map has exactly these keys, so the two can never drift apart.
 *
 * Additive changes only: the renderer and the e2e tests are written against these names.
 */
export const METHOD_NAMES = [
  'app.info',
  'app.doctor',
  'dialog.open',
  'project.open',
  'project.create',
  'project.close',
  'project.recent',
  'project.info',
  'import.start',
  'import.report',
  'images.queue',
  'images.counts',
  'images.detail',
  'review.decide',
  'review.undo',
  'review.redo',
  'review.undoState',
  'review.bulkRelabel',
  'review.bulkDecide',
  'assignments.list',
  'assignments.set',
  'assignments.remove',
  'queue.learning',
  'queue.setLearning',
  'queue.rerank',
  'history.list',
  'history.revert',
  'overview.stats',
  'consensus.get',
  'runs.list',
  'runs.detail',
  'runs.compare',
  'train.start',
  'train.cancel',
  'train.resume',
  'train.status',
  'audit.run',
  'export.start',
  'export.plan',
  'jobs.list',
  'jobs.cancel'
] as const

export type MethodName = (typeof METHOD_NAMES)[number]

/** The namespace part of a method name ('images' of 'images.queue'). */
export type MethodNamespace = MethodName extends `${infer N}.${string}` ? N : never

const METHOD_SET: ReadonlySet<string> = new Set(METHOD_NAMES)

/** True when `name` is one of the API's methods (an own, exact name; never a prototype key). */
export function isMethodName(name: unknown): name is MethodName {
  return typeof name === 'string' && METHOD_SET.has(name)
}

/** Every IPC channel of the app starts with this; the main-side wrapper refuses anything else. */
export const IPC_PREFIX = 'poi:'
/** The invoke channel of one method: `poi:api:images.queue`. */
export function ipcChannel(method: MethodName): string {
  return `${IPC_PREFIX}api:${method}`
}
/** The one main → renderer channel; every ApiEvent travels on it. */
export const IPC_EVENT_CHANNEL = `${IPC_PREFIX}event`

/** The global the preload defines in the renderer's main world (`window.poi`). */
export const BRIDGE_GLOBAL = 'poi'

/** Image URLs in Electron: `poi-img://img/<imageId>?v=thumb|full` (ids only, never paths). */
export const IMAGE_SCHEME = 'poi-img'
/** The UI bundle's scheme in Electron: `app://bundle/index.html`. */
export const APP_SCHEME = 'app'
export const APP_HOST = 'bundle'
export const IMAGE_VARIANTS = ['thumb', 'full'] as const
export type ImageVariant = (typeof IMAGE_VARIANTS)[number]
