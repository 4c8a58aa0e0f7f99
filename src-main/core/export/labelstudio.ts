/**
 * Label Studio import files: `tasks.json` (a JSON array of tasks) and `label_config.xml` (an image
 * with single-choice classes). Each task carries the current label as an annotation and the model
 * as a prediction: the audit's suggestion when it made one, else the model's top class, with that
 * class's probability as `score` and `model_version` = "run-<id>". Audit fields are in `data`
 * (poi_score, poi_flags …) so Label Studio's Data Manager can sort and filter on them.
 */
import { readFile } from 'node:fs/promises'
import { flagNames } from '../audit/flags'
import { argmax } from '../util/vector'
import { className, step, type FormatContext, type FormatResult } from './context'
import { predictionsByImage } from './jsonl'
import { ExportFormatError, verifyExport, type ExportManifest } from './manifest'
import type { Prediction } from '../store/runs'

export const LS_TASKS_FILE = 'tasks.json'
export const LS_CONFIG_FILE = 'label_config.xml'
/** Label Studio serves local files under this route (LOCAL_FILES_SERVING_ENABLED). */
export const LS_DEFAULT_PREFIX = '/data/local-files/?d='

const xmlAttr = (s: string): string => s.replace(/&/g, '&amp;').replace(/"/g, '&quot;').replace(/</g, '&lt;')

export function labelConfig(classes: readonly string[]): string {
  const choices = classes.map((c) => `    <Choice value="${xmlAttr(c)}"/>`).join('\n')
  return `<View>\n  <Image name="image" value="$image"/>\n  <Choices name="label" toName="image" choice="single-radio" showInLine="true">\n${choices}\n  </Choices>\n</View>\n`
}

const choice = (label: string) => [
  { from_name: 'label', to_name: 'image', type: 'choices', value: { choices: [label] } }
]

export async function writeLabelStudio(ctx: FormatContext): Promise<FormatResult> {
  const preds = ctx.runId != null ? predictionsByImage(ctx.db, ctx.runId, ctx.classes) : new Map<number, Prediction>()
  const f = await ctx.sink.open(LS_TASKS_FILE)
  let chunk = '['
  let n = 0
  for (const r of ctx.rows) {
    const label = className(ctx.classes, r.label)
    const p = preds.get(r.imageId)
    const dist = p ? (ctx.probs === 'oim' ? (p.oimSoftT1 ?? p.oimSoft ?? p.trnProbs) : p.trnProbs) : null
    const predicted = r.audit?.suggested ?? (dist ? argmax(dist) : null)
    const task = {
      data: {
        image: ctx.imagePrefix + encodeURIComponent(r.path).replace(/%2F/g, '/'),
        poi_image_id: r.imageId,
        poi_path: r.path,
        poi_split: r.split,
        poi_state: r.state,
        poi_score: r.audit?.score ?? null,
        poi_flags: r.audit ? flagNames(r.audit.flags).join('|') : ''
      },
      annotations:
        label && (r.state === 'labeled' || r.state === 'ambiguous')
          ? [{ result: choice(label), ground_truth: false }]
          : [],
      predictions:
        predicted != null && dist && ctx.runId != null
          ? [
              {
                model_version: `run-${ctx.runId}`,
                score: Math.round(dist[predicted] * 1e6) / 1e6,
                result: choice(ctx.classes[predicted])
              }
            ]
          : []
    }
    chunk += (n ? ',\n' : '\n') + JSON.stringify(task)
    if (chunk.length > 1 << 16) {
      await f.write(chunk)
      chunk = ''
    }
    step(ctx, ++n)
  }
  await f.write(chunk + '\n]\n')
  await f.finish()
  const config = labelConfig(ctx.classes)
  if (!ctx.sink.single) {
    const c = await ctx.sink.open(LS_CONFIG_FILE)
    await c.write(config)
    await c.finish()
  }
  return { rows: n, options: { imagePrefix: ctx.imagePrefix, probs: ctx.probs, labelConfig: config } }
}

export interface LabelStudioTask {
  data: { image: string; poi_image_id: number; poi_path: string; [k: string]: unknown }
  annotations: { result: { value: { choices: string[] } }[] }[]
  predictions: { model_version: string; score: number; result: { value: { choices: string[] } }[] }[]
}

/** Verifies a Label Studio export and reads its tasks back. */
export async function readLabelStudioExport(
  target: string
): Promise<{ manifest: ExportManifest; tasks: LabelStudioTask[] }> {
  const v = await verifyExport(target, 'labelstudio')
  const file = v.files.find((f) => f.endsWith('.json')) ?? v.files[0]
  let tasks: unknown
  try {
    tasks = JSON.parse(await readFile(file, 'utf8'))
  } catch (e) {
    throw new ExportFormatError(`${file}: ${(e as Error).message}`)
  }
  if (!Array.isArray(tasks)) throw new ExportFormatError(`${file} is not a JSON array of tasks`)
  tasks.forEach((t, i) => {
    if (!t || typeof t !== 'object' || typeof (t as LabelStudioTask).data?.image !== 'string')
      throw new ExportFormatError(`${file}: task ${i} has no data.image`)
  })
  return { manifest: v.manifest, tasks: tasks as LabelStudioTask[] }
}
