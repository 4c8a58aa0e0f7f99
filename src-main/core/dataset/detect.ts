/**
 * Which importer a source needs, from what it is (folder or file) and its first line — never from
 * its extension alone.
 */
import { closeSync, openSync, readSync, statSync } from 'node:fs'
import { basename, resolve } from 'node:path'
import { parseCsvText, sniffLayout } from './csv-text'
import { isAffectnetHeader } from './formats/affectnet'
import { isFerplusHeader } from './formats/ferplus'
import { looksLikeRafdb } from './formats/rafdb'
import { ImportError, type ImportFormat } from './types'

/** Reads up to `n` bytes from the start of a file as UTF-8 (BOM stripped). */
function head(file: string, n = 64 * 1024): string {
  const fd = openSync(file, 'r')
  try {
    const buf = Buffer.alloc(n)
    const got = readSync(fd, buf, 0, n, 0)
    return buf
      .subarray(0, got)
      .toString('utf8')
      .replace(/^\ufeff/, '')
  } finally {
    closeSync(fd)
  }
}

export function detectFormat(source: string): ImportFormat {
  const path = resolve(source)
  let st
  try {
    st = statSync(path)
  } catch {
    throw new ImportError([{ file: path, message: 'no such file or folder' }])
  }
  if (st.isDirectory()) return 'folder'
  if (!st.isFile()) throw new ImportError([{ file: path, message: 'not a regular file or folder' }])
  if (/list_patition_label|list_partition_label/i.test(basename(path))) return 'rafdb'
  const text = head(path)
  if (looksLikeRafdb(text)) return 'rafdb'
  // Only whole lines: the 64 KiB window may end inside a record.
  const firstLines = text
    .split(/\r\n|\n|\r/)
    .slice(0, 3)
    .join('\n')
  let header: string[] = []
  try {
    header = parseCsvText(path, firstLines, sniffLayout(firstLines))[0]?.fields ?? []
  } catch {
    header = []
  }
  if (isFerplusHeader(header)) return 'ferplus'
  if (isAffectnetHeader(header)) return 'affectnet'
  return 'csv'
}
