/**
 * Atomic file writes: temp file in the destination directory → write → fsync → close → rename →
 * fsync the directory (../shared/notes/security.md §4). A reader of `dest` sees either the complete
 * old file or the complete new one, never a half-written file; on any error before the rename the
 * temp file is removed and `dest` is left exactly as it was.
 *
 * Every file-system call goes through an {@link AtomicFs}, so tests can make each step fail
 * (open, write, fsync, close, rename, dir-fsync) with ENOSPC/EACCES/EIO and check the guarantees.
 */
import * as fs from 'node:fs'
import { promisify } from 'node:util'
import { createHash, randomBytes } from 'node:crypto'
import { basename, dirname, join } from 'node:path'
import { killPoint } from './fault'

/** The steps of an atomic write, named in errors so a message can say what failed. */
export type AtomicStep =
  'open' | 'write' | 'fsync' | 'close' | 'rename' | 'dir-fsync' | 'mkdir' | 'link' | 'copy' | 'read'

/**
 * The file-system primitives the atomic writers use (fd based, promise returning). `nodeFs` is the
 * real one; tests wrap it to inject faults.
 */
export interface AtomicFs {
  open(path: string, flags: string, mode?: number): Promise<number>
  /** Writes from `data`; returns the bytes written (may be fewer than asked). */
  write(fd: number, data: Uint8Array): Promise<number>
  fsync(fd: number): Promise<void>
  close(fd: number): Promise<void>
  rename(from: string, to: string): Promise<void>
  unlink(path: string): Promise<void>
  mkdir(path: string): Promise<void>
  /** Recursive, force (no error when missing). */
  rm(path: string): Promise<void>
  link(existing: string, newPath: string): Promise<void>
  copyFile(src: string, dest: string): Promise<void>
  readFile(path: string): Promise<Buffer>
  exists(path: string): Promise<boolean>
}

const pOpen = promisify(fs.open)
const pFsync = promisify(fs.fsync)
const pClose = promisify(fs.close)

export const nodeFs: AtomicFs = {
  open: (path, flags, mode) => pOpen(path, flags, mode),
  write: (fd, data) => new Promise((res, rej) => fs.write(fd, data, (err, n) => (err ? rej(err) : res(n)))),
  fsync: (fd) => pFsync(fd),
  close: (fd) => pClose(fd),
  rename: (a, b) => fs.promises.rename(a, b),
  unlink: (p) => fs.promises.unlink(p),
  mkdir: async (p) => {
    await fs.promises.mkdir(p)
  },
  rm: (p) => fs.promises.rm(p, { recursive: true, force: true }),
  link: (a, b) => fs.promises.link(a, b),
  copyFile: (a, b) => fs.promises.copyFile(a, b, fs.constants.COPYFILE_EXCL),
  readFile: (p) => fs.promises.readFile(p),
  exists: async (p) => {
    try {
      await fs.promises.lstat(p)
      return true
    } catch (e) {
      if ((e as NodeJS.ErrnoException).code === 'ENOENT') return false
      throw e
    }
  }
}

/** What a file ended up as: its size in bytes and the hex sha256 of its content. */
export interface FileDigest {
  bytes: number
  sha256: string
}

const MESSAGES: Record<string, string> = {
  ENOSPC: 'the disk is full',
  EDQUOT: 'the disk quota is exhausted',
  EACCES: 'permission denied',
  EPERM: 'the operation is not permitted',
  EROFS: 'the file system is read-only',
  EIO: 'an input/output error occurred (failing disk or removed drive?)',
  ENAMETOOLONG: 'the file name is too long',
  EMFILE: 'too many open files',
  EBUSY: 'the file is in use by another program (close it there and retry)',
  EEXIST: 'it already exists',
  ENOENT: 'the folder does not exist',
  EXDEV: 'source and destination are on different devices'
}

/** A failed atomic write. `committed` is true only when the new content is already in place. */
export class AtomicWriteError extends Error {
  constructor(
    readonly step: AtomicStep,
    readonly path: string,
    readonly code: string,
    readonly committed: boolean,
    cause?: unknown
  ) {
    const why = MESSAGES[code] ?? (cause instanceof Error ? cause.message : String(cause))
    const tail = committed
      ? ' (the new file is complete and in place, but the directory could not be synced, so a power loss could still lose it)'
      : ' (nothing was changed)'
    super(`cannot write ${path}: ${why} [${step} ${code}]${tail}`, { cause })
    this.name = 'AtomicWriteError'
  }
}

function errCode(e: unknown): string {
  return (e as NodeJS.ErrnoException)?.code ?? 'EUNKNOWN'
}

function wrap(step: AtomicStep, path: string, e: unknown, committed = false): AtomicWriteError {
  return e instanceof AtomicWriteError ? e : new AtomicWriteError(step, path, errCode(e), committed, e)
}

/** A unique temp name in `dir` for `name`: `<name>.<pid>.<random>.tmp`. */
export function tempNameFor(path: string): string {
  return join(dirname(path), `${basename(path)}.${process.pid}.${randomBytes(6).toString('hex')}.tmp`)
}

/** Content accepted by the writers: one buffer/string, or chunks (sync or async). */
export type Content = string | Uint8Array | Iterable<string | Uint8Array> | AsyncIterable<string | Uint8Array>

const CHUNK = 1 << 20

/**
 * A file being written through one fd: buffered writes, running sha256, then fsync + close.
 * Used for the temp file of {@link openAtomicFile} and for files inside an atomic directory.
 */
export class SyncedFileWriter {
  private buf: Buffer[] = []
  private buffered = 0
  private readonly hash = createHash('sha256')
  private written = 0
  private fd: number | null
  private done = false

  private constructor(
    private readonly afs: AtomicFs,
    readonly path: string,
    fd: number,
    private readonly label: string
  ) {
    this.fd = fd
  }

  /** Creates `path` exclusively (it must not exist). `label` is the path named in errors. */
  static async create(afs: AtomicFs, path: string, label = path, mode = 0o666): Promise<SyncedFileWriter> {
    let fd: number
    try {
      fd = await afs.open(path, 'wx', mode)
    } catch (e) {
      throw wrap('open', label, e)
    }
    return new SyncedFileWriter(afs, path, fd, label)
  }

  /** Appends a chunk (buffered; flushed in 1 MiB writes). */
  async write(chunk: string | Uint8Array): Promise<void> {
    if (this.done) throw new Error(`write after close on ${this.label}`)
    const b =
      typeof chunk === 'string'
        ? Buffer.from(chunk, 'utf8')
        : Buffer.from(chunk.buffer, chunk.byteOffset, chunk.byteLength)
    if (!b.length) return
    this.hash.update(b)
    this.buf.push(b)
    this.buffered += b.length
    if (this.buffered >= CHUNK) await this.flush()
  }

  private async flush(): Promise<void> {
    if (!this.buffered) return
    const all = this.buf.length === 1 ? this.buf[0] : Buffer.concat(this.buf, this.buffered)
    this.buf = []
    this.buffered = 0
    let off = 0
    try {
      while (off < all.length) {
        const n = await this.afs.write(this.fd!, all.subarray(off))
        if (!(n > 0)) throw Object.assign(new Error('write returned no progress'), { code: 'EIO' })
        off += n
      }
    } catch (e) {
      throw wrap('write', this.label, e)
    }
    this.written += all.length
  }

  /** Flushes, fsyncs and closes; returns the file's size and sha256. */
  async finish(): Promise<FileDigest> {
    await this.flush()
    killPoint('file-written')
    try {
      await this.afs.fsync(this.fd!)
    } catch (e) {
      throw wrap('fsync', this.label, e)
    }
    const fd = this.fd!
    this.fd = null
    this.done = true
    try {
      await this.afs.close(fd)
    } catch (e) {
      throw wrap('close', this.label, e)
    }
    return { bytes: this.written, sha256: this.hash.digest('hex') }
  }

  /** Closes the fd if still open (errors ignored) and removes the file. */
  async discard(): Promise<void> {
    this.done = true
    const fd = this.fd
    this.fd = null
    if (fd != null) await this.afs.close(fd).catch(() => undefined)
    await this.afs.unlink(this.path).catch(() => undefined)
  }
}

/** Writes every chunk of `content` to `w`, checking `signal` between chunks. */
export async function pump(
  w: { write(c: string | Uint8Array): Promise<void> },
  content: Content,
  signal?: AbortSignal
): Promise<void> {
  if (typeof content === 'string' || content instanceof Uint8Array) {
    await w.write(content)
    return
  }
  for await (const chunk of content as AsyncIterable<string | Uint8Array>) {
    signal?.throwIfAborted()
    await w.write(chunk)
  }
}

/** fsyncs a directory so a rename/creation inside it survives a power loss. */
export async function fsyncDir(afs: AtomicFs, dir: string, label: string, committed: boolean): Promise<void> {
  let fd: number
  try {
    fd = await afs.open(dir, 'r')
  } catch (e) {
    // Windows cannot open a directory for fsync; that platform's rename is durable on its own.
    if (['EISDIR', 'EPERM', 'EACCES'].includes(errCode(e)) && process.platform === 'win32') return
    throw wrap('dir-fsync', label, e, committed)
  }
  try {
    await afs.fsync(fd)
  } catch (e) {
    await afs.close(fd).catch(() => undefined)
    if (['EINVAL', 'ENOTSUP'].includes(errCode(e))) return // file systems without directory fsync
    throw wrap('dir-fsync', label, e, committed)
  }
  await afs.close(fd).catch(() => undefined)
}

export interface AtomicOptions {
  fs?: AtomicFs
  /** File mode for a new file (before umask). */
  mode?: number
  signal?: AbortSignal
  /**
   * How often to retry a rename that fails with EBUSY/EPERM/EACCES (Windows: antivirus or Excel
   * holding the target). Defaults to 5 on Windows, 0 elsewhere, where those codes are final.
   */
  renameRetries?: number
}

/** A destination being replaced atomically: write chunks, then commit (or abort). */
export interface AtomicFileWriter {
  readonly dest: string
  readonly tempPath: string
  write(chunk: string | Uint8Array): Promise<void>
  /** Flushes, fsyncs and closes the temp file (not yet visible at `dest`); returns its digest. */
  prepare(): Promise<FileDigest>
  /** Makes the new content visible at `dest` (rename) and durable (dir fsync); prepares first if needed. */
  commit(): Promise<FileDigest>
  /** Drops the temp file; `dest` stays as it was. */
  abort(): Promise<void>
}

async function renameWithRetry(afs: AtomicFs, from: string, to: string, retries: number): Promise<void> {
  for (let attempt = 0; ; attempt++) {
    try {
      await afs.rename(from, to)
      return
    } catch (e) {
      if (attempt >= retries || !['EBUSY', 'EPERM', 'EACCES'].includes(errCode(e))) throw e
      await new Promise((r) => setTimeout(r, 100 * 2 ** attempt))
    }
  }
}

/** Opens a temp file next to `dest` for an atomic replacement of `dest`. */
export async function openAtomicFile(dest: string, opts: AtomicOptions = {}): Promise<AtomicFileWriter> {
  const afs = opts.fs ?? nodeFs
  opts.signal?.throwIfAborted()
  const tempPath = tempNameFor(dest)
  const w = await SyncedFileWriter.create(afs, tempPath, dest, opts.mode)
  const retries = opts.renameRetries ?? (process.platform === 'win32' ? 5 : 0)
  let state: 'open' | 'done' = 'open'
  let prepared: FileDigest | null = null
  const prepare = async (): Promise<FileDigest> => {
    if (prepared) return prepared
    if (state !== 'open') throw new Error(`atomic write of ${dest} already finished`)
    try {
      prepared = await w.finish()
    } catch (e) {
      state = 'done'
      await w.discard()
      throw e
    }
    return prepared
  }
  return {
    dest,
    tempPath,
    prepare,
    async write(chunk) {
      try {
        await w.write(chunk)
      } catch (e) {
        await w.discard()
        state = 'done'
        throw e
      }
    },
    async commit() {
      const digest = await prepare()
      if (state !== 'open') throw new Error(`atomic write of ${dest} already finished`)
      state = 'done'
      try {
        await renameWithRetry(afs, tempPath, dest, retries).catch((e) => {
          throw wrap('rename', dest, e)
        })
      } catch (e) {
        await w.discard()
        throw e
      }
      await fsyncDir(afs, dirname(dest), dest, true)
      return digest
    },
    async abort() {
      if (state === 'done') return
      state = 'done'
      await w.discard()
    }
  }
}

/**
 * Replaces `dest` with `content` atomically. Returns the size and sha256 of what was written.
 * Throws {@link AtomicWriteError} naming the step; `dest` is untouched unless `committed` is true.
 */
export async function writeFileAtomic(dest: string, content: Content, opts: AtomicOptions = {}): Promise<FileDigest> {
  const w = await openAtomicFile(dest, opts)
  try {
    await pump(w, content, opts.signal)
  } catch (e) {
    await w.abort()
    throw e
  }
  return w.commit()
}
