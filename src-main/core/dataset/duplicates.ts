/**
 * Duplicate groups over the whole project (so a second import finds copies of the first, and
 * train/test copies are caught across splits).
 *
 * - images.dup_group: connected components of "same bytes" ∪ "same normalised pixels" — the strict
 *   duplicates the audit treats as one image; the value is the smallest member id.
 * - images.near_group: components of those links plus near-duplicate links: pHash Hamming distance
 *   ≤ NEAR_MAX_BITS confirmed by a 16×16 signature mean absolute difference ≤ NEAR_MAX_MAD gray
 *   levels. On FER2013 these thresholds find every pair of the dataset's own near-exact duplicate
 *   list (bench/import.ts measures it); the signature check is what keeps different faces with a
 *   similar layout apart.
 * - source groups: the source's own dup_group column, per import.
 */
import type { DB } from '../store/db'
import { hamming, phashWords, sigDistance } from './hash'
import type { DuplicateGroup, DuplicateKind, DuplicateSummary, Split } from './types'

export const NEAR_MAX_BITS = 5
export const NEAR_MAX_MAD = 2

class UnionFind {
  readonly parent: Int32Array
  constructor(n: number) {
    this.parent = new Int32Array(n)
    for (let i = 0; i < n; i++) this.parent[i] = i
  }
  find(i: number): number {
    let r = i
    while (this.parent[r] !== r) r = this.parent[r]
    while (this.parent[i] !== r) {
      const n = this.parent[i]
      this.parent[i] = r
      i = n
    }
    return r
  }
  union(a: number, b: number): void {
    const ra = this.find(a)
    const rb = this.find(b)
    if (ra !== rb) this.parent[Math.max(ra, rb)] = Math.min(ra, rb)
  }
}

function unionByKey(uf: UnionFind, keys: (string | null)[]): void {
  const first = new Map<string, number>()
  keys.forEach((k, i) => {
    if (k == null) return
    const f = first.get(k)
    if (f == null) first.set(k, i)
    else uf.union(f, i)
  })
}

// pHash bit blocks for the candidate index: any two hashes within NEAR_MAX_BITS bits agree exactly on
// at least one of NEAR_MAX_BITS + 1 blocks (pigeonhole).
const BLOCKS = (() => {
  const n = NEAR_MAX_BITS + 1
  const out: { shift: bigint; mask: bigint }[] = []
  let off = 0
  for (let b = 0; b < n; b++) {
    const bits = Math.floor(64 / n) + (b < 64 % n ? 1 : 0)
    out.push({ shift: BigInt(off), mask: (1n << BigInt(bits)) - 1n })
    off += bits
  }
  return out
})()

/** Pairs (i < j) of near-duplicates among rows with a pHash and signature. */
function nearPairs(phash: (string | null)[], sig: (Uint8Array | null)[], onPair: (i: number, j: number) => void): void {
  const words = phash.map((h) => (h ? phashWords(h) : null))
  const keys = phash.map((h) => (h ? BLOCKS.map((b) => Number((BigInt('0x' + h) >> b.shift) & b.mask)) : null))
  const index = BLOCKS.map(() => new Map<number, number[]>())
  keys.forEach((k, i) => {
    if (!k) return
    k.forEach((v, b) => {
      const list = index[b].get(v)
      if (list) list.push(i)
      else index[b].set(v, [i])
    })
  })
  for (let i = 0; i < keys.length; i++) {
    const ki = keys[i]
    if (!ki) continue
    for (let b = 0; b < BLOCKS.length; b++) {
      for (const j of index[b].get(ki[b])!) {
        if (j <= i) continue
        const kj = keys[j]!
        // Visit each pair once: from the first block on which the two agree.
        let earlier = false
        for (let e = 0; e < b && !earlier; e++) if (ki[e] === kj[e]) earlier = true
        if (earlier) continue
        if (hamming(words[i]!, words[j]!) > NEAR_MAX_BITS) continue
        if (sigDistance(sig[i]!, sig[j]!) > NEAR_MAX_MAD) continue
        onPair(i, j)
      }
    }
  }
}

/**
 * Recomputes images.dup_group and images.near_group for the whole project. Runs inside the caller's
 * transaction (an import's); synchronous. Returns how many rows changed.
 */
export function assignDuplicateGroups(db: DB): { changed: number } {
  const rows = db
    .prepare('SELECT id, sha256, pixel_hash, phash, sig, dup_group, near_group FROM images ORDER BY id')
    .all() as {
    id: number
    sha256: string
    pixel_hash: string | null
    phash: string | null
    sig: Buffer | null
    dup_group: number | null
    near_group: number | null
  }[]
  const strict = new UnionFind(rows.length)
  unionByKey(
    strict,
    rows.map((r) => r.sha256)
  )
  unionByKey(
    strict,
    rows.map((r) => r.pixel_hash)
  )
  const near = new UnionFind(rows.length)
  for (let i = 0; i < rows.length; i++) near.union(i, strict.find(i))
  nearPairs(
    rows.map((r) => r.phash),
    rows.map((r) => (r.sig ? new Uint8Array(r.sig.buffer, r.sig.byteOffset, r.sig.length) : null)),
    (i, j) => near.union(i, j)
  )
  const size = (uf: UnionFind): Int32Array => {
    const s = new Int32Array(rows.length)
    for (let i = 0; i < rows.length; i++) s[uf.find(i)]++
    return s
  }
  const sStrict = size(strict)
  const sNear = size(near)
  const upd = db.prepare('UPDATE images SET dup_group = ?, near_group = ? WHERE id = ?')
  let changed = 0
  for (let i = 0; i < rows.length; i++) {
    const rs = strict.find(i)
    const rn = near.find(i)
    // Roots are the smallest index of each component, and rows are in id order: root id = min id.
    const dup = sStrict[rs] > 1 ? rows[rs].id : null
    const nearGroup = sNear[rn] > 1 ? rows[rn].id : null
    if (dup !== rows[i].dup_group || nearGroup !== rows[i].near_group) {
      upd.run(dup, nearGroup, rows[i].id)
      changed++
    }
  }
  return { changed }
}

interface MemberRow {
  id: number
  rel_path: string
  split: Split | null
  label: string | null
  state: string | null
  key: string
}

/**
 * The duplicate groups of each kind, from the stored columns; with `importId`, only groups that
 * contain at least one image of that import.
 */
export function collectDuplicateGroups(db: DB, importId?: number): Record<DuplicateKind, DuplicateGroup[]> {
  const keyExpr: Record<DuplicateKind, string> = {
    exact: 'i.sha256',
    pixel: 'i.pixel_hash',
    near: 'CAST(i.near_group AS TEXT)',
    source: "i.import_id || ':' || i.source_dup_group"
  }
  const out = {} as Record<DuplicateKind, DuplicateGroup[]>
  for (const kind of Object.keys(keyExpr) as DuplicateKind[]) {
    const k = keyExpr[kind]
    const filter =
      importId != null
        ? `AND ${k} IN (SELECT ${k} FROM images i WHERE i.import_id = ${Number(importId)} AND ${k} IS NOT NULL)`
        : ''
    const members = db
      .prepare(
        `SELECT i.id, i.rel_path, i.split, c.name AS label, a.state, ${k} AS key
         FROM images i LEFT JOIN annotations a ON a.image_id = i.id LEFT JOIN classes c ON c.idx = a.current_label
         WHERE ${k} IS NOT NULL AND ${k} IN (SELECT ${k} FROM images i WHERE ${k} IS NOT NULL GROUP BY ${k} HAVING count(*) > 1) ${filter}
         ORDER BY ${k}, i.id`
      )
      .all() as MemberRow[]
    const groups: DuplicateGroup[] = []
    let cur: DuplicateGroup | null = null
    let curKey = ''
    for (const m of members) {
      if (!cur || m.key !== curKey) {
        cur = { kind, imageIds: [], paths: [], labels: [], splits: [] }
        curKey = m.key
        groups.push(cur)
      }
      cur.imageIds.push(m.id)
      cur.paths.push(m.rel_path)
      cur.labels.push(m.state === 'labeled' || m.state == null ? (m.label ?? '') : m.state)
      cur.splits.push(m.split)
    }
    groups.sort((a, b) => a.imageIds[0] - b.imageIds[0])
    out[kind] = groups
  }
  return out
}

export function isConflicting(g: DuplicateGroup): boolean {
  return new Set(g.labels).size > 1
}

export function summariseGroups(groups: readonly DuplicateGroup[]): DuplicateSummary {
  return {
    groups: groups.length,
    images: groups.reduce((a, g) => a + g.imageIds.length, 0),
    conflicting: groups.filter(isConflicting).length,
    crossSplit: groups.filter((g) => new Set(g.splits).size > 1).length
  }
}
