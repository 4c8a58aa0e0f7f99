/**
 * Where an export's files go: a folder committed atomically (AtomicDir, manifest.json last), or a
 * single file replaced atomically followed by its `<file>.manifest.json`. Format writers only see
 * this interface, so every format gets the same guarantees.
 */
import { basename } from 'node:path'
import { AtomicDir, type DirFileRecord } from '../fsutil/atomic-dir'
import { AtomicWriteError, nodeFs, openAtomicFile, writeFileAtomic, type AtomicFileWriter, type AtomicFs } from '../fsutil/atomic'

export interface SinkFile {
  write(chunk: string | Uint8Array): Promise<void>
  finish(): Promise<void>
}

export interface ExportSink {
  /** True for a single-file export (one `open` allowed; the name is the destination's). */
  readonly single: boolean
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
  const dir = await AtomicDir.create(dest, { fs: opts.fs, overwrite: opts.overwrite, signal: opts.signal })
  return {
    single: false,
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

/** One data file at `dest` plus `<dest>.manifest.json`. Refuses an existing `dest` unless overwrite. */
export async function fileSink(dest: string, opts: SinkOptions = {}): Promise<ExportSink> {
  const afs = opts.fs
  if (!opts.overwrite && (await (afs ?? nodeFs).exists(dest))) throw new AtomicWriteError('open', dest, 'EEXIST', false)
  let writer: AtomicFileWriter | null = null
  return {
    single: true,
    async open() {
      if (writer) throw new Error('a single-file export has exactly one file')
      const w = await openAtomicFile(dest, { fs: afs, signal: opts.signal })
      writer = w
      return { write: (c) => w.write(c), finish: async () => undefined }
    },
    async linkOrCopy() {
      throw new Error('a single-file export cannot hold image files')
    },
    async commit(manifestFor) {
      if (!writer) throw new Error('nothing was written')
      opts.signal?.throwIfAborted()
      const d = await writer.commit()
      const files = [{ path: basename(dest), ...d }]
      await writeFileAtomic(`${dest}.manifest.json`, JSON.stringify(manifestFor(files), null, 2) + '\n', { fs: afs })
      return files
    },
    async abort() {
      await writer?.abort()
    }
  }
}
