/**
 * Atomic multi-file output (an export folder): everything is written into a fresh
 * `<dest>.tmp-<random>/` next to `dest`, every file is fsynced, the manifest is written LAST (it is
 * the commit marker: a folder without a matching manifest is never trusted), the directories are
 * fsynced, and the folder is renamed to `dest`. An existing `dest` is refused unless `overwrite`,
 * which swaps it out (rename old aside → rename new in → delete old); portable file systems cannot
 * replace a directory in one step, but at every moment one complete folder exists on disk, and a
 * swap cut short by a crash is finished or undone by `recoverDirTarget` (export/recover.ts; the
 * temp and aside names carry the writer's pid so recovery never touches a live writer's folders).
 */
import { randomBytes } from 'node:crypto'
import { basename, dirname, join, posix } from 'node:path'
import {
  AtomicWriteError,
  SyncedFileWriter,
  fsyncDir,
  nodeFs,
  pump,
  type AtomicFs,
  type AtomicOptions,
  type Content,
  type FileDigest
} from './atomic'
import { createHash } from 'node:crypto'
import { linkSync, readFileSync } from 'node:fs'
import { inFlight, killPoint } from './fault'

/** Errors after which a hard link is replaced by a copy (another device, no link support). */
const LINK_FALLBACK = ['EXDEV', 'EPERM', 'ENOTSUP', 'EMLINK', 'EOPNOTSUPP']

/** One file of the folder, as listed in its manifest. `path` is relative and '/'-separated. */
export interface DirFileRecord extends FileDigest {
  path: string
}

export interface AtomicDirOptions extends AtomicOptions {
  /** Replace an existing `dest` folder (default: refuse with EEXIST). */
  overwrite?: boolean
}

/** Checks a relative output path: no absolute paths, no '..', no empty segments, no NUL. */
function checkRel(rel: string): string {
  const norm = rel.replace(/\\/g, '/')
  if (!norm || norm.startsWith('/') || /^[a-zA-Z]:/.test(norm) || norm.includes('\0'))
    throw new Error(`bad output path "${rel}"`)
  const parts = norm.split('/')
  if (parts.some((p) => p === '' || p === '.' || p === '..')) throw new Error(`bad output path "${rel}"`)
  return norm
}

function code(e: unknown): string {
  return (e as NodeJS.ErrnoException)?.code ?? 'EUNKNOWN'
}

export class AtomicDir {
  private readonly records: DirFileRecord[] = []
  private readonly names = new Set<string>()
  private readonly dirs = new Set<string>()
  private state: 'open' | 'committed' | 'aborted' = 'open'

  private constructor(
    private readonly afs: AtomicFs,
    readonly dest: string,
    readonly tempDir: string,
    private readonly opts: AtomicDirOptions
  ) {}

  /** Creates the temp folder. Fails early (EEXIST) when `dest` exists and `overwrite` is not set. */
  static async create(dest: string, opts: AtomicDirOptions = {}): Promise<AtomicDir> {
    const afs = opts.fs ?? nodeFs
    opts.signal?.throwIfAborted()
    if (!opts.overwrite && (await afs.exists(dest))) {
      throw new AtomicWriteError('mkdir', dest, 'EEXIST', false)
    }
    const tempDir = join(dirname(dest), `${basename(dest)}.tmp-${process.pid}-${randomBytes(6).toString('hex')}`)
    inFlight.add(tempDir)
    try {
      await afs.mkdir(tempDir)
    } catch (e) {
      throw new AtomicWriteError('mkdir', dest, code(e), false, e)
    }
    return new AtomicDir(afs, dest, tempDir, opts)
  }

  /** The files written so far (manifest excluded). */
  files(): readonly DirFileRecord[] {
    return this.records
  }

  private async ensureParent(rel: string): Promise<void> {
    const parent = posix.dirname(rel)
    if (parent === '.' || this.dirs.has(parent)) return
    await this.ensureParent(parent)
    try {
      await this.afs.mkdir(join(this.tempDir, parent))
    } catch (e) {
      if (code(e) !== 'EEXIST') throw new AtomicWriteError('mkdir', join(this.dest, parent), code(e), false, e)
    }
    this.dirs.add(parent)
  }

  private claim(rel: string): string {
    if (this.state !== 'open') throw new Error(`export folder ${this.dest} is already ${this.state}`)
    const norm = checkRel(rel)
    if (this.names.has(norm)) throw new Error(`two outputs share the name ${norm} in ${this.dest}`)
    this.names.add(norm)
    return norm
  }

  /**
   * Opens a new file in the folder for streaming; `finish()` fsyncs it and records it for the
   * manifest. On failure the whole folder should be aborted.
   */
  async open(rel: string): Promise<{ write(c: string | Uint8Array): Promise<void>; finish(): Promise<DirFileRecord> }> {
    const norm = this.claim(rel)
    await this.ensureParent(norm)
    const w = await SyncedFileWriter.create(this.afs, join(this.tempDir, norm), join(this.dest, norm), this.opts.mode)
    return {
      write: (c) => w.write(c),
      finish: async () => {
        const d = await w.finish()
        const rec = { path: norm, ...d }
        this.records.push(rec)
        return rec
      }
    }
  }

  /** Writes one whole file. */
  async writeFile(rel: string, content: Content): Promise<DirFileRecord> {
    const f = await this.open(rel)
    await pump(f, content, this.opts.signal)
    return f.finish()
  }

  /**
   * Puts an existing file into the folder as a hard link (no copy, no extra space), falling back
   * to a durable copy when linking is impossible (another device, a file system without links).
   */
  async linkOrCopy(src: string, rel: string): Promise<DirFileRecord & { linked: boolean }> {
    const norm = this.claim(rel)
    await this.ensureParent(norm)
    const target = join(this.tempDir, norm)
    // On the real file system a link and a small read cost ~40 µs as blocking calls but ~110 µs
    // as promises (5 libuv round trips each); a 35k-image folder export is dominated by them, so
    // the real fs takes the blocking path (callers time-slice, see export/folders.ts). An injected
    // fs (fault tests) always takes the async path.
    if (this.afs === nodeFs) {
      try {
        linkSync(src, target)
      } catch (e) {
        if (!LINK_FALLBACK.includes(code(e)))
          throw new AtomicWriteError('link', join(this.dest, norm), code(e), false, e)
        return this.copyIn(src, norm, target)
      }
      let data: Buffer
      try {
        data = readFileSync(target)
      } catch (e) {
        throw new AtomicWriteError('read', src, code(e), false, e)
      }
      return this.record(norm, true, data)
    }
    try {
      await this.afs.link(src, target)
    } catch (e) {
      if (!LINK_FALLBACK.includes(code(e))) throw new AtomicWriteError('link', join(this.dest, norm), code(e), false, e)
      return this.copyIn(src, norm, target)
    }
    return this.record(norm, true, await this.read(target, src))
  }

  /** The fallback of linkOrCopy: a durable copy (new data must be on disk before the manifest vouches for it). */
  private async copyIn(src: string, norm: string, target: string): Promise<DirFileRecord & { linked: boolean }> {
    try {
      await this.afs.copyFile(src, target)
      const fd = await this.afs.open(target, 'r')
      try {
        await this.afs.fsync(fd)
      } finally {
        await this.afs.close(fd)
      }
    } catch (e2) {
      throw new AtomicWriteError('copy', join(this.dest, norm), code(e2), false, e2)
    }
    return this.record(norm, false, await this.read(target, src))
  }

  private async read(target: string, src: string): Promise<Buffer> {
    try {
      return await this.afs.readFile(target)
    } catch (e) {
      throw new AtomicWriteError('read', src, code(e), false, e)
    }
  }

  /** Hashes what the folder now holds (the source may have changed since import) and lists it. */
  private record(norm: string, linked: boolean, data: Buffer): DirFileRecord & { linked: boolean } {
    const rec = { path: norm, bytes: data.length, sha256: createHash('sha256').update(data).digest('hex') }
    this.records.push(rec)
    return { ...rec, linked }
  }

  /**
   * Writes `manifest.json` (from `manifestFor(files)`), syncs the folders and renames the temp
   * folder to `dest`. Any failure before the rename removes the temp folder and leaves `dest` as
   * it was; a failing final directory sync reports `committed: true`.
   */
  async commit(
    manifestFor: (files: readonly DirFileRecord[]) => unknown,
    manifestName = 'manifest.json'
  ): Promise<DirFileRecord> {
    if (this.state !== 'open') throw new Error(`export folder ${this.dest} is already ${this.state}`)
    let manifestRec: DirFileRecord
    try {
      this.opts.signal?.throwIfAborted()
      const body = JSON.stringify(manifestFor(this.records), null, 2) + '\n'
      const norm = this.claim(manifestName)
      const w = await SyncedFileWriter.create(this.afs, join(this.tempDir, norm), join(this.dest, norm), this.opts.mode)
      try {
        await w.write(body)
        manifestRec = { path: norm, ...(await w.finish()) }
      } catch (e) {
        await w.discard()
        throw e
      }
      for (const d of [...this.dirs].sort((a, b) => b.length - a.length)) {
        await fsyncDir(this.afs, join(this.tempDir, d), join(this.dest, d), false)
      }
      await fsyncDir(this.afs, this.tempDir, this.dest, false)
      killPoint('dir:manifest-written')
      await this.swapIn()
    } catch (e) {
      this.state = 'aborted'
      await this.afs.rm(this.tempDir).catch(() => undefined)
      inFlight.delete(this.tempDir)
      throw e
    }
    inFlight.delete(this.tempDir)
    this.state = 'committed'
    await fsyncDir(this.afs, dirname(this.dest), this.dest, true)
    return manifestRec
  }

  private async swapIn(): Promise<void> {
    const exists = await this.afs.exists(this.dest)
    if (exists && !this.opts.overwrite) throw new AtomicWriteError('rename', this.dest, 'EEXIST', false)
    if (!exists) {
      try {
        await this.afs.rename(this.tempDir, this.dest)
      } catch (e) {
        throw new AtomicWriteError('rename', this.dest, code(e), false, e)
      }
      killPoint('dir:swapped')
      return
    }
    const old = join(dirname(this.dest), `${basename(this.dest)}.old-${process.pid}-${randomBytes(6).toString('hex')}`)
    inFlight.add(old)
    try {
      try {
        await this.afs.rename(this.dest, old)
      } catch (e) {
        throw new AtomicWriteError('rename', this.dest, code(e), false, e)
      }
      killPoint('dir:old-aside')
      try {
        await this.afs.rename(this.tempDir, this.dest)
      } catch (e) {
        await this.afs.rename(old, this.dest).catch(() => undefined)
        throw new AtomicWriteError('rename', this.dest, code(e), false, e)
      }
      killPoint('dir:swapped')
      await this.afs.rm(old).catch(() => undefined)
    } finally {
      inFlight.delete(old)
    }
  }

  /** Removes the temp folder; `dest` stays as it was. */
  async abort(): Promise<void> {
    if (this.state !== 'open') return
    this.state = 'aborted'
    await this.afs.rm(this.tempDir).catch(() => undefined)
    inFlight.delete(this.tempDir)
  }
}
