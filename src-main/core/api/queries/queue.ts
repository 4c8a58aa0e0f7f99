/**
 * images.queue / images.counts / the "next item" of review.decide: one SQL builder for the filters,
 * keyset paging for the order.
 *
 * Paging is keyset, not OFFSET: page k costs the same as page 1 at 35k+ images, and a decision that
 * removes an item from the filter does not shift the pages after it. A sort key can be NULL (an
 * image the audit did not score, or without a prediction); those come last, in id order, as a
 * second phase of the same cursor. Score order reads audit_items through its (audit_id, score,
 * image_id) index; flag filters repeat the partial-index conditions of migration 0040 verbatim.
 */
import type { DB } from '../../store/db'
import { FLAG_BITS, flagMask, flagNames, isFlagName } from '../../audit/flags'
import type { ImageCounts, QueueFilter, QueueItem, QueuePage, QueueSort, ReviewState, Split } from '../contract'
import { REVIEW_STATES, SPLITS } from '../contract'
import { ApiFailure } from '../errors'
import { reviewProgress } from './progress'
import { confidenceSpread } from './confidence'
import type { ReadContext } from './context'
import { decodeCursor, encodeCursor } from './cursor'
import { adjudicationIds } from './adjudicate'

const sig = (s: SortSpec): string => `${s.by}:${s.dir}`

type SortBy = QueueSort['by']
type Dir = 'asc' | 'desc'

interface SortSpec {
  by: SortBy
  dir: Dir
  /** SQL of the key and of its tie-breaker (an image id column). */
  key: string
  tie: string
  nullable: boolean
}

function sortSpec(sort: QueueSort | undefined, ctx: ReadContext): SortSpec {
  const by: SortBy = sort?.by ?? (ctx.learned != null ? 'learned' : ctx.auditId != null ? 'score' : 'id')
  const dir: Dir = sort?.dir ?? 'asc'
  if (by === 'learned') {
    if (ctx.learned == null)
      throw new ApiFailure(
        'NOT_AVAILABLE',
        'the learned order needs the learning queue on and a re-rank of the current audit (queue.rerank)'
      )
    // Reviewed images decided after the re-rank keep their position; images not scored come last.
    return { by, dir, key: 'qo.pos', tie: 'i.id', nullable: true }
  }
  if (by === 'score') {
    if (ctx.auditId == null) throw new ApiFailure('NOT_AVAILABLE', 'sorting by score needs an audit; run one first')
    return { by, dir, key: 'ai.score', tie: 'ai.image_id', nullable: true }
  }
  if (by === 'confidence') {
    if (ctx.runId == null) throw new ApiFailure('NOT_AVAILABLE', 'sorting by confidence needs a finished training run')
    return { by, dir, key: 'p.uem_confidence', tie: 'p.image_id', nullable: true }
  }
  return { by: 'id', dir, key: 'i.id', tie: 'i.id', nullable: false }
}

interface Sql {
  where: string[]
  params: unknown[]
  /** Tables the WHERE reads (a, r, ai, p); the FROM joins only those, so counts stay cheap. */
  needs: Set<Join>
  /** Why the filter matches nothing by design (filter.assigned without an assignment). */
  reason?: string
}

type Join = 'a' | 'r' | 'ai' | 'p' | 'qo'

/** FROM with the joins for `needs`. Audit and run ids are integers we read ourselves: inlined. */
function fromSql(ctx: ReadContext, needs: Iterable<Join>): string {
  const n = new Set(needs)
  return [
    'images i',
    n.has('a') ? 'LEFT JOIN annotations a ON a.image_id = i.id' : '',
    n.has('r') ? 'LEFT JOIN reviews r ON r.image_id = i.id' : '',
    n.has('ai') && ctx.auditId != null
      ? `LEFT JOIN audit_items ai ON ai.audit_id = ${ctx.auditId} AND ai.image_id = i.id`
      : '',
    n.has('p') && ctx.runId != null ? `LEFT JOIN predictions p ON p.run_id = ${ctx.runId} AND p.image_id = i.id` : '',
    n.has('qo') && ctx.learned != null
      ? `LEFT JOIN queue_order qo ON qo.audit_id = ${ctx.auditId} AND qo.gen = ${ctx.learned} AND qo.image_id = i.id`
      : ''
  ]
    .filter(Boolean)
    .join(' ')
}

const ALL_JOINS: Join[] = ['a', 'r', 'ai', 'p', 'qo']

function whereSql(where: readonly string[]): string {
  return where.length ? `WHERE ${where.join(' AND ')}` : ''
}

/** WHERE for a filter, and the joins it needs. */
function filterSql(db: DB, f: QueueFilter | undefined, ctx: ReadContext): Sql {
  const where: string[] = []
  const params: unknown[] = []
  const needs = new Set<Join>()
  let reason: string | undefined
  if (f?.assigned === 'me') {
    // The curator's assignment ANDed with the rest: its clauses first, in the same where/params order.
    const c = ctx.curator
    if (c?.assignment) {
      const sub = filterSql(db, c.assignment, ctx)
      where.push(...sub.where)
      params.push(...sub.params)
      sub.needs.forEach((j) => needs.add(j))
    } else {
      where.push('0')
      reason =
        c?.problem ??
        `${c ? c.actor : 'this session'} has no assignment: ask for one (Overview → Team) or review the whole queue`
    }
  }
  const need = (...j: Join[]): void => j.forEach((x) => needs.add(x))
  const needAudit = (what: string): void => {
    if (ctx.auditId == null) throw new ApiFailure('NOT_AVAILABLE', `filtering by ${what} needs an audit; run one first`)
  }
  const classList = (name: string, v: number[]): string => {
    for (const c of v) {
      if (c >= ctx.classes)
        throw new ApiFailure(
          'INVALID_ARGS',
          `${name}: class index ${c} is outside the project's ${ctx.classes} classes`
        )
    }
    params.push(...v)
    return v.map(() => '?').join(', ')
  }
  if (f?.given?.length) {
    need('a')
    where.push(`a.current_label IN (${classList('filter.given', f.given)})`)
  }
  if (f?.suggested?.length) {
    needAudit('suggested label')
    need('ai')
    where.push(`ai.suggested_label IN (${classList('filter.suggested', f.suggested)})`)
  }
  if (f?.pair) {
    needAudit('confusion cell')
    need('a', 'ai')
    where.push(`a.current_label = ? AND ai.suggested_label = ?`)
    classList('filter.pair', [f.pair.given, f.pair.suggested])
  }
  if (f?.flags?.length) {
    needAudit('flags')
    need('ai')
    const unknown = f.flags.find((n) => !isFlagName(n))
    if (unknown)
      throw new ApiFailure(
        'INVALID_ARGS',
        `filter.flags: unknown flag "${unknown}" (known: ${Object.keys(FLAG_BITS).join(', ')})`
      )
    // Bits come from our own table (never from the request), so inlining them is safe and lets
    // SQLite match the partial indexes `flags & N != 0`.
    const bits = [...new Set(f.flags)].map((n) => flagMask([n]))
    where.push(`(${bits.map((b) => `ai.flags & ${b} != 0`).join(' OR ')})`)
  }
  if (f?.imageIds?.length) {
    where.push('i.id IN (SELECT value FROM json_each(?))')
    params.push(JSON.stringify(f.imageIds))
  }
  if (f?.review === 'adjudicate') {
    where.push('i.id IN (SELECT value FROM json_each(?))')
    params.push(JSON.stringify(adjudicationIds(db)))
  } else if (f?.review && f.review !== 'any') {
    need('r')
    where.push(
      f.review === 'unreviewed'
        ? 'r.state IS NULL'
        : f.review === 'skipped'
          ? "r.state = 'skipped'"
          : "r.state IS NOT NULL AND r.state != 'skipped'"
    )
  }
  if (f?.decisions?.length) {
    need('r')
    where.push(`r.state IN (${f.decisions.map(() => '?').join(', ')})`)
    params.push(...f.decisions)
  }
  if (f?.confidence) {
    if (ctx.runId == null)
      throw new ApiFailure('NOT_AVAILABLE', 'filtering by confidence needs a finished training run')
    if (f.confidence.min > f.confidence.max) {
      throw new ApiFailure(
        'INVALID_ARGS',
        `filter.confidence: min ${f.confidence.min} is above max ${f.confidence.max}`
      )
    }
    need('p')
    where.push('p.uem_confidence BETWEEN ? AND ?')
    params.push(f.confidence.min, f.confidence.max)
  }
  if (f?.states?.length) {
    need('a')
    where.push(`coalesce(a.state, 'unlabeled') IN (${f.states.map(() => '?').join(', ')})`)
    params.push(...f.states)
  }
  if (f?.splits?.length) {
    const named = f.splits.filter((s) => s !== 'none')
    const parts: string[] = []
    if (named.length) {
      parts.push(`i.split IN (${named.map(() => '?').join(', ')})`)
      params.push(...named)
    }
    if (f.splits.includes('none')) parts.push('i.split IS NULL')
    where.push(`(${parts.join(' OR ')})`)
  }
  if (f?.duplicatesOnly) where.push('i.dup_group IS NOT NULL')
  if (f?.pathContains) {
    where.push("i.rel_path LIKE ? ESCAPE '\\'")
    params.push(`%${f.pathContains.replace(/[\\%_]/g, (c) => `\\${c}`)}%`)
  }
  return { where, params, needs, reason }
}

function columns(ctx: ReadContext): string {
  return [
    'i.id AS imageId',
    'i.rel_path AS relPath',
    'i.split AS split',
    "coalesce(a.state, 'unlabeled') AS state",
    'a.current_label AS given',
    'a.original_label AS original',
    'r.state AS review',
    ctx.auditId != null
      ? 'ai.suggested_label AS suggested, ai.strength AS strength, ai.score AS score, ai.rank AS rank, ai.flags AS flags'
      : 'NULL AS suggested, NULL AS strength, NULL AS score, NULL AS rank, 0 AS flags',
    ctx.runId != null ? 'p.uem_confidence AS confidence' : 'NULL AS confidence'
  ].join(', ')
}

interface Row extends Omit<QueueItem, 'flags'> {
  flags: number | null
}

function toItem(r: Row): QueueItem {
  return { ...r, flags: r.flags ? flagNames(r.flags) : [] }
}

export interface QueueArgs {
  filter?: QueueFilter
  sort?: QueueSort
  cursor?: string
  limit?: number
  withTotal?: boolean
}

export function queryQueue(db: DB, ctx: ReadContext, args: QueueArgs): QueuePage {
  const spec = sortSpec(args.sort, ctx)
  const base = filterSql(db, args.filter, ctx)
  const limit = args.limit ?? 100
  const cursor = args.cursor ? decodeCursor(args.cursor, sig(spec)) : null
  const cols = columns(ctx)
  // The page query reads every column, so it joins everything; it touches only limit+1 rows.
  const from = fromSql(ctx, ALL_JOINS)
  const cmp = spec.dir === 'asc' ? '>' : '<'
  const items: Row[] = []

  if (!cursor || cursor.p === 0) {
    const where = [...base.where]
    const params = [...base.params]
    if (spec.nullable) where.push(`${spec.key} IS NOT NULL`)
    if (cursor) {
      where.push(spec.key === spec.tie ? `${spec.key} ${cmp} ?` : `(${spec.key}, ${spec.tie}) ${cmp} (?, ?)`)
      params.push(...(spec.key === spec.tie ? [cursor.i] : [cursor.k, cursor.i]))
    }
    const order = spec.key === spec.tie ? `${spec.key} ${spec.dir}` : `${spec.key} ${spec.dir}, ${spec.tie} ${spec.dir}`
    const sql = `SELECT ${cols}, ${spec.key} AS sortKey FROM ${from} ${whereSql(where)} ORDER BY ${order} LIMIT ?`
    items.push(...(db.prepare(sql).all(...params, limit + 1) as Row[]))
  }
  if (spec.nullable && items.length <= limit) {
    const where = [...base.where, `${spec.key} IS NULL`]
    const params = [...base.params]
    if (cursor?.p === 1) {
      where.push('i.id > ?')
      params.push(cursor.i)
    }
    const sql = `SELECT ${cols}, NULL AS sortKey FROM ${from} ${whereSql(where)} ORDER BY i.id ASC LIMIT ?`
    items.push(...(db.prepare(sql).all(...params, limit + 1 - items.length) as Row[]))
  }
  const hasMore = items.length > limit
  const page = items.slice(0, limit) as (Row & { sortKey: number | null })[]
  let nextCursor: string | null = null
  if (hasMore && page.length) {
    const last = page[page.length - 1]
    const lastPhase: 0 | 1 = spec.nullable && last.sortKey == null ? 1 : 0
    nextCursor = encodeCursor({
      s: sig(spec),
      p: lastPhase,
      k: lastPhase === 0 && spec.key !== spec.tie ? last.sortKey : null,
      i: last.imageId
    })
  }
  let total: number | null = null
  if (args.withTotal ?? !args.cursor) total = countSql(db, ctx, base)
  return {
    items: page.map(({ sortKey: _k, ...r }) => toItem(r)),
    nextCursor,
    total,
    auditId: ctx.auditId,
    runId: ctx.runId,
    ...(base.reason ? { emptyReason: base.reason } : {})
  }
}

/** The image after `imageId` in the queue's order (for review.decide's "next"); null at the end. */
export function nextInQueue(
  db: DB,
  ctx: ReadContext,
  imageId: number,
  filter?: QueueFilter,
  sort?: QueueSort
): number | null {
  const spec = sortSpec(sort, ctx)
  const row = db.prepare(`SELECT ${spec.key} AS k FROM ${fromSql(ctx, ALL_JOINS)} WHERE i.id = ?`).get(imageId) as
    { k: number | null } | undefined
  if (!row) return null
  const phase: 0 | 1 = spec.nullable && row.k == null ? 1 : 0
  const cursor = encodeCursor({
    s: sig(spec),
    p: phase,
    k: phase === 0 && spec.key !== spec.tie ? row.k : null,
    i: imageId
  })
  const page = queryQueue(db, ctx, { filter, sort, cursor, limit: 1, withTotal: false })
  return page.items[0]?.imageId ?? null
}

/**
 * Facet counts of the images matching a filter: one GROUP BY per facet, each joining only the
 * filter's tables plus its own, so an unfiltered count never touches the wide audit/prediction rows.
 */
export function queryCounts(db: DB, ctx: ReadContext, filter: QueueFilter | undefined): ImageCounts {
  const base = filterSql(db, filter, ctx)
  const group = (expr: string, join: Join[]): { k: string | number | null; n: number }[] =>
    db
      .prepare(
        `SELECT ${expr} AS k, count(*) AS n FROM ${fromSql(ctx, [...base.needs, ...join])} ${whereSql(base.where)} GROUP BY k`
      )
      .all(...base.params) as { k: string | number | null; n: number }[]
  const given = new Array<number>(ctx.classes).fill(0)
  let total = 0
  for (const r of group('a.current_label', ['a'])) {
    total += r.n
    if (typeof r.k === 'number' && r.k < ctx.classes) given[r.k] = r.n
  }
  const review = { unreviewed: 0 } as Record<ReviewState | 'unreviewed', number>
  REVIEW_STATES.forEach((s) => (review[s] = 0))
  for (const r of group("coalesce(r.state, 'unreviewed')", ['r'])) review[r.k as ReviewState] = r.n
  const splits = { none: 0 } as Record<Split | 'none', number>
  SPLITS.forEach((s) => (splits[s] = 0))
  for (const r of group("coalesce(i.split, 'none')", [])) splits[r.k as Split] = r.n
  let flags: Record<string, number> | null = null
  if (ctx.auditId != null) {
    const agg = Object.values(FLAG_BITS).map((bit, k) => `sum(ai.flags & ${bit} != 0) AS f${k}`)
    const row = db
      .prepare(`SELECT ${agg.join(', ')} FROM ${fromSql(ctx, [...base.needs, 'ai'])} ${whereSql(base.where)}`)
      .get(...base.params) as Record<string, number | null>
    flags = Object.fromEntries(Object.keys(FLAG_BITS).map((name, k) => [name, row[`f${k}`] ?? 0]))
  }
  return {
    total,
    given,
    review,
    splits,
    flags,
    progress: reviewProgress(db, ctx),
    confidence: confidenceSpread(db, ctx)
  }
}

function countSql(db: DB, ctx: ReadContext, base: Sql): number {
  const sql = `SELECT count(*) AS n FROM ${fromSql(ctx, base.needs)} ${whereSql(base.where)}`
  return (db.prepare(sql).get(...base.params) as { n: number }).n
}

/** How many images match a filter. */
export function countMatching(db: DB, ctx: ReadContext, filter: QueueFilter | undefined): number {
  return countSql(db, ctx, filterSql(db, filter, ctx))
}

/** Every image id matching a filter, in id order (export and bulk scopes). */
export function matchingIds(db: DB, ctx: ReadContext, filter: QueueFilter | undefined): number[] {
  const base = filterSql(db, filter, ctx)
  return (
    db
      .prepare(`SELECT i.id AS id FROM ${fromSql(ctx, base.needs)} ${whereSql(base.where)} ORDER BY i.id`)
      .all(...base.params) as { id: number }[]
  ).map((r) => r.id)
}
