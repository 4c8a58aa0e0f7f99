/**
 * Where an export's files go: a folder committed atomically (AtomicDir, manifest.json last), or a
 * single file plus its `<file>.manifest.json`, committed manifest-first (see recover.ts and
 * docs/reliability.md). Format writers only see this interface, so every format gets the same
 * guarantees. Both first repair what an earlier crash left at the destination (`recovered`).
 */
import { basename, dirname } from 'node:path'
import { AtomicDir, type DirFileRecord } from '../fsutil/atomic-dir'
import {
  AtomicWriteError,
  fsyncDir,
  nodeFs,
  openAtomicFile,
  writeFileAtomic,
  type AtomicFileWriter,
  type AtomicFs
} from '../fsutil/atomic'
import { inFlight, killPoint } from '../fsutil/fault'
import { pendingManifestName, recoverDirTarget, recoverFileTarget } from './recover'

export interface SinkFile {
  write(chunk: string | Uint8Array): Promise<void>
  finish(): Promise<void>
}

export interface ExportSink {
  /** True for a single-file export (one `open` allowed; the name is the destination's). */
  readonly single: boolean
  /** What an earlier, interrupted export had left at the destination and what was done about it. */
  readonly recovered: string[]
  open(rel: string): Promise<SinkFile>
  /** Folder exports only: hard link (or copy) an existing file into the export. */
  linkOrCopy(src: string, rel: string): Promise<{ linked: boolean }>
  /** Makes the export visible and durable, manifest last; returns the listed files. */
  commit(manifestFor: (files: DirFileRecord[]) => unknown): Promise<DirFileRecord[]>
  abort(): Promise<void>
}

export interface SinkOptions {
  fs?: AtomicFs
  overwrite?: boolean
  signal?: AbortSignal
}

export async function folderSink(dest: string, opts: SinkOptions = {}): Promise<ExportSink> {
  const recovered = recoverDirTarget(dest)
  const dir = await AtomicDir.create(dest, { fs: opts.fs, overwrite: opts.overwrite, signal: opts.signal })
  return {
    single: false,
    recovered,
    async open(rel) {
      const f = await dir.open(rel)
      return { write: (c) => f.write(c), finish: async () => void (await f.finish()) }
    },
    async linkOrCopy(src, rel) {
      const r = await dir.linkOrCopy(src, rel)
      return { linked: r.linked }
    },
    async commit(manifestFor) {
      const files = [...dir.files()]
      await dir.commit(() => manifestFor(files))
      return files
    },
    abort: () => dir.abort()
  }
}

/**
 * One data file at `dest` plus `<dest>.manifest.json`. Refuses an existing `dest` unless overwrite.
 * Commit order: data to a temp file (fsynced) → manifest to a pending name carrying the data's
 * digest → data renamed over `dest` → pending manifest renamed over the manifest. A crash at any
 * point leaves the old pair, or a pair recovery completes (recover.ts).
 */
export async function fileSink(dest: string, opts: SinkOptions = {}): Promise<ExportSink> {
  const afs = opts.fs ?? nodeFs
  const recovered = await recoverFileTarget(dest)
  if (!opts.overwrite && (await afs.exists(dest))) throw new AtomicWriteError('open', dest, 'EEXIST', false)
  let writer: AtomicFileWriter | null = null
  return {
    single: true,
    recovered,
    async open() {
      if (writer) throw new Error('a single-file export has exactly one file')
      const w = await openAtomicFile(dest, { fs: afs, signal: opts.signal })
      inFlight.add(w.tempPath)
      writer = w
      return { write: (c) => w.write(c), finish: async () => undefined }
    },
    async linkOrCopy() {
      throw new Error('a single-file export cannot hold image files')
    },
    async commit(manifestFor) {
      if (!writer) throw new Error('nothing was written')
      opts.signal?.throwIfAborted()
      const d = await writer.prepare()
      const files = [{ path: basename(dest), ...d }]
      const pending = pendingManifestName(dest, d.sha256)
      inFlight.add(pending)
      try {
        await writeFileAtomic(pending, JSON.stringify(manifestFor(files), null, 2) + '\n', { fs: afs })
        killPoint('file:manifest-pending')
        try {
          await writer.commit()
        } catch (e) {
          await afs.unlink(pending).catch(() => undefined)
          throw e
        }
        killPoint('file:data-renamed')
        const manifest = `${dest}.manifest.json`
        try {
          await afs.rename(pending, manifest)
        } catch (e) {
          // The new data is in place; the pending manifest that vouches for it stays, and the next
          // export or read of `dest` puts it in place (recover.ts).
          throw new AtomicWriteError('rename', manifest, (e as NodeJS.ErrnoException).code ?? 'EUNKNOWN', true, e)
        }
        killPoint('file:manifest-renamed')
        await fsyncDir(afs, dirname(dest), manifest, true)
      } finally {
        inFlight.delete(pending)
        inFlight.delete(writer.tempPath)
      }
      return files
    },
    async abort() {
      await writer?.abort()
      if (writer) inFlight.delete(writer.tempPath)
    }
  }
}
