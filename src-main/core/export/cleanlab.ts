/**
 * A cleanlab-ready pair: given labels and the model's predicted probabilities for every labelled
 * image with a prediction, as CSV (labels.csv, pred_probs.csv) and as NumPy (labels.npy '<i8' of
 * shape (N,), pred_probs.npy '<f4' of shape (N, C)), in the same row order, plus classes.txt.
 * In Python: `find_label_issues(np.load('labels.npy'), np.load('pred_probs.npy'))`. The k-fold
 * share of the probabilities is in the manifest (cleanlab wants out-of-sample ones).
 */
import { readFile } from 'node:fs/promises'
import { parse } from 'csv-parse/sync'
import { skip, step, type FormatContext, type FormatResult } from './context'
import { csvLine, spreadsheetSafe } from './csvutil'
import { predictionsByImage } from './jsonl'
import { ExportFormatError, verifyExport, type ExportManifest } from './manifest'
import { decodeNpy, encodeNpy } from './npy'

export async function writeCleanlab(ctx: FormatContext): Promise<FormatResult> {
  if (ctx.runId == null)
    throw new ExportFormatError('the cleanlab export needs a run with predictions; train one first')
  const preds = predictionsByImage(ctx.db, ctx.runId, ctx.classes)
  const C = ctx.classes.length
  const labels: number[] = []
  const probs: number[] = []
  const ids: number[] = []
  const paths: string[] = []
  let outOfSample = 0
  for (const r of ctx.rows) {
    if (r.label == null || (r.state !== 'labeled' && r.state !== 'ambiguous')) {
      skip(ctx, 'unlabelled')
      continue
    }
    const p = preds.get(r.imageId)
    if (!p) {
      skip(ctx, 'noPrediction')
      continue
    }
    const dist = ctx.probs === 'oim' ? (p.oimSoftT1 ?? p.oimSoft) : p.trnProbs
    if (!dist) {
      skip(ctx, 'noSoftLabel')
      continue
    }
    if (p.fold != null) outOfSample++
    labels.push(r.label)
    for (let k = 0; k < C; k++) probs.push(dist[k])
    ids.push(r.imageId)
    paths.push(r.path)
    step(ctx, labels.length)
  }
  const N = labels.length
  const safe = (s: string): string => (ctx.spreadsheetSafe ? (spreadsheetSafe(s) ?? s) : s)
  let lcsv = csvLine(['index', 'image_id', 'path', 'label', 'label_name'])
  let pcsv = csvLine(ctx.classes)
  const f32 = Float32Array.from(probs)
  for (let i = 0; i < N; i++) {
    lcsv += csvLine([i, ids[i], safe(paths[i]), labels[i], ctx.classes[labels[i]]])
    // The CSV holds the same float32 values as the .npy (9 significant digits round-trip a float32).
    pcsv += Array.from(f32.subarray(i * C, (i + 1) * C), (v) => String(Number(v.toPrecision(9)))).join(',') + '\n'
  }
  const files: [string, string | Buffer][] = [
    ['labels.csv', lcsv],
    ['pred_probs.csv', pcsv],
    ['labels.npy', encodeNpy('<i8', [N], labels)],
    ['pred_probs.npy', encodeNpy('<f4', [N, C], f32)],
    ['classes.txt', ctx.classes.join('\n') + '\n']
  ]
  for (const [name, body] of files) {
    const f = await ctx.sink.open(name)
    await f.write(body)
    await f.finish()
  }
  return { rows: N, options: { probs: ctx.probs, outOfSample, inSample: N - outOfSample } }
}

/** Verifies a cleanlab export and reads it back (NumPy arrays and the CSV twins, cross-checked). */
export async function readCleanlabExport(
  target: string
): Promise<{ manifest: ExportManifest; labels: number[]; predProbs: number[][]; imageIds: number[] }> {
  const v = await verifyExport(target, 'cleanlab')
  const file = (name: string): string => {
    const f = v.files.find((x) => x.endsWith(name))
    if (!f) throw new ExportFormatError(`${target} lacks ${name}`)
    return f
  }
  const L = decodeNpy(await readFile(file('labels.npy')), 'labels.npy')
  const P = decodeNpy(await readFile(file('pred_probs.npy')), 'pred_probs.npy')
  const N = L.shape[0]
  const C = P.shape[1]
  if (L.dtype !== '<i8' || P.dtype !== '<f4' || P.shape[0] !== N)
    throw new ExportFormatError(`${target}: labels.npy and pred_probs.npy do not match`)
  const labels = Array.from(L.data as BigInt64Array, Number)
  const predProbs = Array.from({ length: N }, (_, i) =>
    Array.from((P.data as Float32Array).subarray(i * C, (i + 1) * C))
  )
  const lrows = parse(await readFile(file('labels.csv'), 'utf8'), { columns: true }) as Record<string, string>[]
  const prows = parse(await readFile(file('pred_probs.csv'), 'utf8'), { columns: false, from_line: 2 }) as string[][]
  if (lrows.length !== N || prows.length !== N)
    throw new ExportFormatError(`${target}: the CSV and .npy files hold different row counts`)
  lrows.forEach((r, i) => {
    if (Number(r.label) !== labels[i])
      throw new ExportFormatError(`${target}: labels.csv line ${i + 2} disagrees with labels.npy`)
    prows[i].forEach((x, k) => {
      if (Math.fround(Number(x)) !== predProbs[i][k])
        throw new ExportFormatError(`${target}: pred_probs.csv line ${i + 2} disagrees with pred_probs.npy`)
    })
  })
  return { manifest: v.manifest, labels, predProbs, imageIds: lrows.map((r) => Number(r.image_id)) }
}
