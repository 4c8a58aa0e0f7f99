/**
 * The ground-truth file of a synthetic dataset (outDir/ground_truth.json): what every image really shows
 * (true class, AU intensities drawn, identity) next to the label the dataset gives it (possibly flipped).
 * Audit benchmarks and tests compare their flags against it. Versioned; checked on read.
 */
import { readFile } from 'node:fs/promises'
import { z } from 'zod'
import { ALL_AUS, CANONICAL_CLASSES } from '../classes'

export const GROUND_TRUTH_FORMAT = 'poi-audit-synth-ground-truth'
export const GROUND_TRUTH_VERSION = 1

export const SPLITS = ['train', 'val', 'test'] as const
export type Split = (typeof SPLITS)[number]

/** Key of an AU in the ground truth's `aus` object ("AU1", "AU12", …). */
export type AuKey = `AU${number}`

const className = z.enum(CANONICAL_CLASSES)
const auKeys = ALL_AUS.map((au) => `AU${au}`)

const imageSchema = z.object({
  /** File name stem, e.g. "s000017". */
  id: z.string().min(1),
  /** Relative to the dataset folder, '/'-separated. */
  path: z.string().min(1),
  split: z.enum(SPLITS),
  trueClass: className,
  givenLabel: className,
  flipped: z.boolean(),
  identity: z.number().int().nonnegative(),
  /** Intensity 0..1 of every AU of the prior, keyed "AU<n>", exactly as drawn. */
  aus: z.record(z.string(), z.number().min(0).max(1)),
  /** Prior AUs of trueClass left out of this face. */
  dropped: z.array(z.number().int()),
  /** Low-intensity AUs from outside trueClass's prior. */
  distractors: z.array(z.number().int())
})

const fileSchema = z.object({
  format: z.literal(GROUND_TRUTH_FORMAT),
  version: z.number().int(),
  createdBy: z.string(),
  settings: z.object({
    seed: z.number(),
    size: z.number().int(),
    channels: z.union([z.literal(1), z.literal(3)]),
    classes: z.array(className).min(1),
    noiseRate: z.number().min(0).max(1),
    flipSplits: z.array(z.enum(SPLITS)),
    splits: z.object({ train: z.number(), val: z.number(), test: z.number() }),
    identities: z.number().int().positive()
  }),
  images: z.array(imageSchema)
})

export type GroundTruthImage = z.infer<typeof imageSchema>
export type GroundTruth = z.infer<typeof fileSchema>

/** Parses and checks a ground-truth document; `source` names the file in errors. */
export function parseGroundTruth(json: unknown, source = 'ground_truth.json'): GroundTruth {
  const head = json as { format?: unknown; version?: unknown } | null
  if (!head || typeof head !== 'object' || head.format !== GROUND_TRUTH_FORMAT) {
    throw new Error(
      `${source}: not a synthetic-dataset ground truth (format is ${JSON.stringify(head?.format)}, expected "${GROUND_TRUTH_FORMAT}")`
    )
  }
  if (head.version !== GROUND_TRUTH_VERSION) {
    throw new Error(
      `${source}: ground-truth version ${JSON.stringify(head.version)} is not supported (this build reads version ${GROUND_TRUTH_VERSION})`
    )
  }
  const parsed = fileSchema.safeParse(json)
  if (!parsed.success) {
    const issue = parsed.error.issues[0]
    throw new Error(`${source}: invalid at ${issue.path.join('.') || '(root)'}: ${issue.message}`)
  }
  const gt = parsed.data
  const seen = new Set<string>()
  for (const [i, img] of gt.images.entries()) {
    if (seen.has(img.path)) throw new Error(`${source}: images.${i}: duplicate path "${img.path}"`)
    seen.add(img.path)
    if (img.flipped !== (img.givenLabel !== img.trueClass)) {
      throw new Error(
        `${source}: images.${i} (${img.path}): flipped=${img.flipped} but given "${img.givenLabel}" vs true "${img.trueClass}"`
      )
    }
    for (const key of auKeys) {
      if (!(key in img.aus)) throw new Error(`${source}: images.${i} (${img.path}): missing intensity of ${key}`)
    }
  }
  return gt
}

/** Reads and checks outDir/ground_truth.json (or any path to such a file). */
export async function loadGroundTruth(file: string): Promise<GroundTruth> {
  let text: string
  try {
    text = await readFile(file, 'utf8')
  } catch (e) {
    throw new Error(`cannot read ground truth ${file}: ${(e as Error).message}`)
  }
  let json: unknown
  try {
    json = JSON.parse(text)
  } catch (e) {
    throw new Error(`${file}: not valid JSON (${(e as Error).message})`)
  }
  return parseGroundTruth(json, file)
}
