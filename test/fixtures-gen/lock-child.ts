/**
 * Child process for the lock race test. The parent drives two of these trial by trial: it sends
 * "<at> <file>" on stdin to both, each spins until wall-clock time <at> (ms) and opens <file> for
 * writing, holds it for <hold> ms while writing to it, and answers one JSON line saying whether and
 * when it held the writer lock. Times are CLOCK_MONOTONIC (process.hrtime), which every process on
 * the machine shares, so the parent can check that no two holds overlap.
 * Usage: node lock-child.mjs race <hold ms>
 *        node lock-child.mjs hold <file>...   (opens every file, prints "held N", waits to be killed)
 */
import { createInterface } from 'node:readline'
import { openProjectDb } from '../../src-main/core/store/db'
import { ProjectError } from '../../src-main/core/store/errors'

const now = (): number => Number(process.hrtime.bigint()) / 1e6
const [mode, ...rest] = process.argv.slice(2)

if (mode === 'hold') {
  const held = rest.map((f) => openProjectDb(f, { quickCheck: false }))
  process.stdout.write(`held ${held.length}\n`)
  setInterval(() => {}, 60_000)
} else {
  const hold = Number(rest[0])
  process.stdout.write('ready\n')
  for await (const line of createInterface({ input: process.stdin })) {
    const sp = line.indexOf(' ')
    const at = Number(line.slice(0, sp))
    const file = line.slice(sp + 1)
    while (Date.now() < at) {
      /* spin: both children start this trial in the same millisecond */
    }
    const start = now()
    try {
      const p = openProjectDb(file, { quickCheck: false })
      const acq = now()
      // Hold the project while writing to it, as an import would.
      p.db.prepare("INSERT OR REPLACE INTO meta (key, value) VALUES ('race', ?)").run(String(process.pid))
      const until = now() + hold
      while (now() < until) {
        /* hold */
      }
      const rel = now()
      p.close()
      process.stdout.write(JSON.stringify({ ok: true, start, acq, rel }) + '\n')
    } catch (e) {
      const err = e instanceof ProjectError ? e.code : String((e as Error).message)
      process.stdout.write(JSON.stringify({ ok: false, start, err }) + '\n')
    }
  }
}
