/**
 * `poi-audit serve <project> [--port N] [--host 127.0.0.1] [--curators alice,bob]`: the app in a browser. Listens
 * on loopback only and prints a one-time sign-in URL carrying a random token (one per curator with --curators);
 * the page trades it for an HttpOnly cookie and drops it from the address bar (see src-main/server/server.ts).
 */
import { accessSync, constants, existsSync } from 'node:fs'
import { dirname, join, resolve } from 'node:path'
import { InvalidArgumentError, type Command } from 'commander'
import { createServer } from '../../server/server'
import { parseCuratorList } from '../../core/api/curators'
import { EXIT, processIo, runGuarded, usageExitCodes } from '../ui/io'

/**
 * Why decisions could not be saved in this project (the file, its existing lock file or its folder
 * is not writable by this user), or null: said at start, not at the first click.
 */
export function readOnlyReason(project: string): string | null {
  const lock = `${project}.lock`
  for (const p of [project, ...(existsSync(lock) ? [lock] : []), dirname(project)]) {
    try {
      accessSync(p, constants.W_OK)
    } catch {
      return `${p} is read-only: the project can be browsed, but decisions cannot be saved`
    }
  }
  return null
}

/** The built renderer: <package root>/out/renderer, found from this module's location. */
export function defaultStaticDir(from: string = import.meta.dirname ?? process.cwd()): string {
  let dir = from
  for (let i = 0; i < 8; i++) {
    if (existsSync(join(dir, 'package.json')) && existsSync(join(dir, 'out'))) return join(dir, 'out', 'renderer')
    const up = dirname(dir)
    if (up === dir) break
    dir = up
  }
  return resolve('out', 'renderer')
}

function curators(v: string): string[] {
  try {
    return parseCuratorList(v)
  } catch (e) {
    throw new InvalidArgumentError(`--curators: ${(e as Error).message}`)
  }
}

function port(v: string): number {
  const n = Number(v)
  if (!/^\d{1,5}$/.test(v.trim()) || n > 65535)
    throw new InvalidArgumentError(`--port must be an integer in 0..65535, got "${v}"`)
  return n
}

interface ServeOptions {
  port: number
  host: string
  static?: string
  actor: string
  curators?: string[]
}

export function registerServe(program: Command): void {
  usageExitCodes(
    program
      .command('serve')
      .description('serve the app to a browser on this machine (loopback only, token sign-in)')
      .argument('<project>', 'project file (.poi)')
      .option('--port <n>', 'port to listen on (0 = any free port)', port, 0)
      .option('--host <addr>', 'loopback address to bind: 127.0.0.1 or ::1', '127.0.0.1')
      .option('--static <dir>', 'built UI folder (default: out/renderer of this install)')
      .option(
        '--actor <name>',
        'name recorded with each decision in the history (without --curators)',
        process.env.USER ?? 'curator'
      )
      .option(
        '--curators <names>',
        'comma-separated curator names: one sign-in URL each, decisions recorded as the signed-in curator',
        curators
      )
  ).action(async (project: string, o: ServeOptions) => {
    const file = resolve(project)
    const code = await runGuarded(
      processIo,
      async () => {
        const staticDir = o.static ? resolve(o.static) : defaultStaticDir()
        if (!existsSync(join(staticDir, 'index.html'))) {
          processIo.err(`poi-audit serve: no built UI at ${staticDir} (run "npm run build", or pass --static)\n`)
          return EXIT.error
        }
        // Checked before opening: a writer open of a project this user cannot write fails at once
        // (lock file, WAL set-up), so such a project is served read-only, with the reason said now.
        const ro = existsSync(file) ? readOnlyReason(file) : null
        if (ro) processIo.err(`warning: ${ro}\n`)
        const server = await createServer({
          project: file,
          readonly: ro !== null,
          host: o.host,
          port: o.port,
          staticDir,
          actor: o.actor,
          ...(o.curators ? { curators: o.curators } : {}),
          version: '0.1.0',
          log: (m) => console.error(m)
        })
        const info = server.api.session.info()
        console.log(`POI Audit is serving ${info.path} ("${info.name}", ${info.counts.images} images)`)
        if (o.curators) {
          console.log('Each curator opens their own URL in a browser. Each signs in once; keep them private:')
          const width = Math.max(...server.logins.map((l) => l.actor.length))
          for (const l of server.logins) console.log(`  ${l.actor.padEnd(width)}  ${l.loginUrl}`)
        } else {
          console.log('Open this URL in a browser on this machine. It signs you in once; keep it private:')
          console.log(`  ${server.loginUrl}`)
        }
        console.log('Press Ctrl+C to stop.')
        const stop = (): void => {
          void server.close().then(() => process.exit(0))
        }
        process.once('SIGINT', stop)
        process.once('SIGTERM', stop)
        return EXIT.ok
      },
      file
    )
    if (code !== EXIT.ok) process.exitCode = code
  })
}
