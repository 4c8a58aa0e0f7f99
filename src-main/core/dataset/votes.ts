/**
 * Importing several annotators' labels for images already in a project: a long CSV with one row per
 * (image, annotator), columns `image,annotator,label` (header names as in `findColumn`: also
 * `path`/`file`, `rater`/`worker`/`annotator_id`, `label`/`emotion`/`class`). `image` is the image's
 * path as imported (its `rel_path`), or `#<id>` for an image id. All or nothing: every bad row is
 * reported (file:line: what and which value) and nothing is written.
 */
import type { Project } from '../project'
import { normaliseClassName } from '../classes'
import { getClasses } from '../store/meta'
import { putVotes, type StoredVote } from '../store/votes'
import { findColumn, parseCsvText, readTextFile } from './csv-text'
import { ImportError, type SourceProblem } from './types'

export interface VotesImportReport {
  file: string
  rows: number
  images: number
  annotators: string[]
  added: number
  replaced: number
}

/** Parses and checks a votes file against the project; throws ImportError listing every bad row. */
export function parseVotes(project: Project, file: string): StoredVote[] {
  const records = parseCsvText(file, readTextFile(file))
  if (!records.length)
    throw new ImportError([
      { file, message: 'empty file: expected a header image,annotator,label and one row per vote' }
    ])
  const header = records[0].fields
  const col = {
    image: findColumn(header, ['image', 'path', 'file', 'filename', 'image_path']),
    annotator: findColumn(header, ['annotator', 'rater', 'worker', 'annotator_id', 'who', 'user']),
    label: findColumn(header, ['label', 'emotion', 'class', 'expression'])
  }
  const missing = Object.entries(col)
    .filter(([, i]) => i < 0)
    .map(([k]) => k)
  if (missing.length)
    throw new ImportError([
      {
        file,
        line: records[0].line,
        message: `header lacks column(s) ${missing.join(', ')}; expected image,annotator,label (got ${header.join(',')})`
      }
    ])

  const classes = getClasses(project.db)
  const byPath = new Map<string, number[]>()
  for (const r of project.db.prepare('SELECT id, rel_path AS p FROM images').all() as { id: number; p: string }[]) {
    const list = byPath.get(r.p) ?? []
    list.push(r.id)
    byPath.set(r.p, list)
  }
  const ids = new Set([...byPath.values()].flat())
  const problems: SourceProblem[] = []
  const votes: StoredVote[] = []
  const seen = new Map<string, number>()
  for (const rec of records.slice(1)) {
    const f = (i: number): string => (rec.fields[i] ?? '').trim()
    const bad = (message: string): void => void problems.push({ file, line: rec.line, message })
    const image = f(col.image)
    const annotator = f(col.annotator)
    const label = f(col.label)
    let imageId: number | null = null
    if (/^#\d+$/.test(image)) {
      imageId = Number(image.slice(1))
      if (!ids.has(imageId)) bad(`no image with id ${imageId} in this project`)
    } else {
      const hit = byPath.get(image.replace(/\\/g, '/'))
      if (!hit)
        bad(
          image ? `image "${image}" is not in this project (give its path as imported, or #id)` : 'empty image column'
        )
      else if (hit.length > 1)
        bad(`image path "${image}" names ${hit.length} images (from different datasets); give #id instead`)
      else imageId = hit[0]
    }
    if (!annotator) bad('empty annotator column')
    else if (annotator.length > 200) bad(`annotator name longer than 200 characters`)
    else if (annotator.startsWith('curator:'))
      bad(`annotator "${annotator}": names starting with "curator:" are reserved for the project's curators`)
    const cls = normaliseClassName(label)
    const idx = cls ? classes.indexOf(cls) : -1
    if (!cls) bad(`label "${label}" is not an expression class`)
    else if (idx < 0) bad(`label "${label}" (${cls}) is not one of this project's classes (${classes.join(', ')})`)
    if (imageId == null || !annotator || idx < 0 || annotator.length > 200 || annotator.startsWith('curator:')) continue
    const key = `${imageId}\u0000${annotator}`
    const prev = seen.get(key)
    if (prev != null) {
      bad(`annotator "${annotator}" labels image "${image}" twice (also on line ${prev})`)
      continue
    }
    seen.set(key, rec.line)
    votes.push({ imageId, annotator, label: idx })
  }
  if (problems.length) throw new ImportError(problems)
  return votes
}

/** Parses `file` and writes its votes in one transaction. */
export function importVotes(project: Project, file: string): VotesImportReport {
  const votes = parseVotes(project, file)
  const { added, replaced } = putVotes(project.db, votes, file)
  return {
    file,
    rows: votes.length,
    images: new Set(votes.map((v) => v.imageId)).size,
    annotators: [...new Set(votes.map((v) => v.annotator))].sort(),
    added,
    replaced
  }
}
