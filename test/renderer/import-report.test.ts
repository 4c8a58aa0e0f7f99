import { afterEach, describe, expect, it } from 'vitest'
import { cleanup, render, screen } from '@testing-library/svelte'
import ImportReport from '../../src-renderer/src/components/ImportReport.svelte'
import { asImportReport, countTable } from '../../src-renderer/src/lib/import-report'
import type { JsonValue } from '../../src-main/core/api/contract'
import { visibleText } from './text'

afterEach(() => cleanup())

const REPORT = {
  version: 1,
  importId: 3,
  format: 'csv',
  source: '/data/labels.csv',
  root: '/data',
  startedAt: '2026-01-01T00:00:00.000Z',
  finishedAt: '2026-01-01T00:00:02.000Z',
  seconds: 2.04,
  listed: 12,
  imported: 10,
  decoded: 9,
  countsByClass: { happiness: 6, anger: 4 },
  countsBySplit: { train: 8, test: 2 },
  countsBySplitClass: { train: { happiness: 5, anger: 3 }, test: { happiness: 1, anger: 1 } },
  states: { labeled: 10 },
  classMapping: { happy: 'happiness', angry: 'anger' },
  skipped: [
    { path: 'img/missing.png', reason: 'file not found', line: 7 },
    { path: 'img/dup.png', reason: 'already in the project', line: 9 }
  ],
  decodeErrors: [{ path: 'img/broken.png', reason: 'unsupported image format' }],
  uniform: [],
  duplicates: { exact: { groups: 1, images: 2, conflicting: 1, crossSplit: 0 } },
  conflictingGroups: [
    {
      kind: 'exact',
      imageIds: [2, 5],
      paths: ['a.png', 'b.png'],
      labels: ['happiness', 'anger'],
      splits: ['train', 'train']
    }
  ],
  groupSample: [],
  warnings: ['2 rows had trailing spaces']
} satisfies JsonValue

describe('import report', () => {
  it('reads version 1 reports and refuses other shapes', () => {
    expect(asImportReport(REPORT)).not.toBeNull()
    expect(asImportReport({ ...REPORT, version: 2 })).toBeNull()
    expect(asImportReport({ ...REPORT, skipped: 'none' })).toBeNull()
    expect(asImportReport(null)).toBeNull()
    expect(countTable(asImportReport(REPORT)!)).toEqual({
      splits: ['train', 'test'],
      rows: [
        { cls: 'happiness', total: 6, bySplit: [5, 1] },
        { cls: 'anger', total: 4, bySplit: [3, 1] }
      ]
    })
  })

  it('shows counts, class mapping, skipped files with reasons, and conflicting duplicates', () => {
    render(ImportReport, { props: { report: asImportReport(REPORT)! } })
    const text = visibleText(screen.getByTestId('import-report-body'))
    expect(screen.getByTestId('report-imported').textContent).toBe('10')
    expect(text).toContain('of 12 listed')
    expect(text).toContain('happy')
    expect(text).toContain('file not found')
    expect(text).toContain('Skipped files (2)')
    expect(text).toContain('unsupported image format')
    expect(text).toContain('a.png (happiness) · b.png (anger)')
    expect(text).toContain('2 rows had trailing spaces')
  })
})
