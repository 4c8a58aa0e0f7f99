/**
 * The importer's report (engine JSON, `imports.report`, format version 1) read defensively for
 * display: a report of another version or shape gives null and the UI falls back to a generic view.
 * Mirrors src-main/core/dataset/types.ts ImportReport without importing the engine.
 */
import type { JsonValue } from './api'

export interface DuplicateSummaryView {
  groups: number
  images: number
  conflicting: number
  crossSplit: number
}

export interface DuplicateGroupView {
  kind: string
  imageIds: number[]
  paths: string[]
  labels: string[]
}

export interface ImportReportView {
  format: string
  source: string
  root: string
  seconds: number
  listed: number
  imported: number
  decoded: number
  countsByClass: Record<string, number>
  countsBySplitClass: Record<string, Record<string, number>>
  classMapping: Record<string, string>
  skipped: { path: string; reason: string; line?: number }[]
  decodeErrors: { path: string; reason: string }[]
  uniform: string[]
  duplicates: Record<string, DuplicateSummaryView>
  conflictingGroups: DuplicateGroupView[]
  warnings: string[]
}

type Obj = { [k: string]: JsonValue }
const isObj = (v: JsonValue | undefined): v is Obj => typeof v === 'object' && v !== null && !Array.isArray(v)
const isNum = (v: JsonValue | undefined): v is number => typeof v === 'number'
const isStr = (v: JsonValue | undefined): v is string => typeof v === 'string'
const numMap = (v: JsonValue | undefined): v is Record<string, number> => isObj(v) && Object.values(v).every(isNum)

export function asImportReport(v: JsonValue | null): ImportReportView | null {
  if (!isObj(v) || v.version !== 1) return null
  const ok =
    isStr(v.format) &&
    isStr(v.source) &&
    isNum(v.listed) &&
    isNum(v.imported) &&
    isNum(v.decoded) &&
    numMap(v.countsByClass) &&
    isObj(v.countsBySplitClass) &&
    Object.values(v.countsBySplitClass).every(numMap) &&
    isObj(v.classMapping) &&
    Array.isArray(v.skipped) &&
    Array.isArray(v.decodeErrors) &&
    isObj(v.duplicates) &&
    Array.isArray(v.conflictingGroups)
  if (!ok) return null
  return v as unknown as ImportReportView
}

/** Rows class × split (+ total) for the counts table, classes in descending total. */
export function countTable(r: ImportReportView): {
  splits: string[]
  rows: { cls: string; bySplit: number[]; total: number }[]
} {
  const splits = Object.keys(r.countsBySplitClass)
  const rows = Object.entries(r.countsByClass)
    .map(([cls, total]) => ({ cls, total, bySplit: splits.map((s) => r.countsBySplitClass[s]?.[cls] ?? 0) }))
    .sort((a, b) => b.total - a.total || a.cls.localeCompare(b.cls))
  return { splits, rows }
}
