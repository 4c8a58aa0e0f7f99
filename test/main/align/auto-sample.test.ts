import { describe, expect, it } from 'vitest'
import { AUTO_SAMPLE, alignImportStep } from '../../../src-main/core/align/import-step'
import { renderFaceRaw, Rng, sampleFaceParams } from '../../../src-main/core/synth/index'
import type { AlignResult } from '../../../src-main/core/align/align'

/** Captures the face record the step would store, without a database. */
function recorded(store: ((db: never, id: number) => void) | undefined): AlignResult['detector'] | 'none' {
  let detector: AlignResult['detector'] | 'none' = 'none'
  const fakeDb = { prepare: () => ({ run: (...a: unknown[]) => void (detector = a[10] as string) }) }
  store?.(fakeDb as never, 1)
  return detector
}

describe("align 'auto' decides per image size from a sample", () => {
  it('passes the rest of a crop dataset through after a mostly-tight sample, but still checks other sizes', async () => {
    const step = alignImportStep('auto')!
    const detectors: (string | null)[] = []
    for (let i = 0; i < AUTO_SAMPLE + 6; i++) {
      const { params } = sampleFaceParams(new Rng(100 + i), i % 2 ? 'happiness' : 'anger', { size: 48, channels: 1 })
      const raw = await renderFaceRaw(params)
      const out = (await step(
        { data: raw.data, width: 48, height: 48, channels: 1, format: 'png' },
        { relPath: `f${i}.png` }
      )) as { store?: (db: never, id: number) => void }
      detectors.push(recorded(out.store))
    }
    // The sample ran the detector on every image; afterwards the sample's verdict stands in.
    expect(detectors.slice(0, AUTO_SAMPLE).every((d) => d !== 'dataset-sample')).toBe(true)
    expect(detectors.slice(AUTO_SAMPLE)).toEqual(Array(6).fill('dataset-sample'))

    // A 200×160 photo is a different size: it is detected, never waved through.
    const bg = new Uint8Array(200 * 160).fill(120)
    const out = (await step(
      { data: new Uint8Array(bg), width: 200, height: 160, channels: 1, format: 'png' },
      { relPath: 'photo.png' }
    )) as { store?: (db: never, id: number) => void }
    expect(recorded(out.store)).not.toBe('dataset-sample')
  })
})
