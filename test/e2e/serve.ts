/**
 * Runs `poi-audit serve` as a child process for end-to-end tests and benchmarks: the built CLI
 * (out/main/cli.js, from `npm run build`) when present, else the sources through tsx. Resolves with
 * the sign-in URL the server prints; `stop()` sends SIGTERM and waits for the exit.
 */
import { spawn, type ChildProcess } from 'node:child_process'
import { existsSync } from 'node:fs'
import { join, resolve } from 'node:path'

export const REPO = resolve(import.meta.dirname, '..', '..')
export const RENDERER_DIR = join(REPO, 'out', 'renderer')

export interface Served {
  /** http://127.0.0.1:PORT */
  url: string
  /** url + /?token=… (signs the browser in once). */
  loginUrl: string
  token: string
  /** Everything the server wrote, for failure messages. */
  log(): string
  stop(): Promise<void>
}

/** The command line that runs the CLI (built when available). */
export function cliCommand(args: string[]): [string, string[]] {
  const built = join(REPO, 'out', 'main', 'cli.js')
  if (existsSync(built)) return [process.execPath, [join(REPO, 'bin', 'poi-audit.js'), ...args]]
  return [process.execPath, ['--import', 'tsx', join(REPO, 'src-main', 'cli', 'index.ts'), ...args]]
}

/** Runs a CLI command to completion; rejects with its output on a non-zero exit. */
export function runCli(args: string[], timeoutMs = 120_000): Promise<string> {
  const [cmd, argv] = cliCommand(args)
  return new Promise((res, rej) => {
    const child = spawn(cmd, argv, { cwd: REPO, stdio: ['ignore', 'pipe', 'pipe'] })
    let out = ''
    child.stdout.on('data', (d) => (out += d))
    child.stderr.on('data', (d) => (out += d))
    const timer = setTimeout(() => child.kill('SIGKILL'), timeoutMs)
    child.on('exit', (code) => {
      clearTimeout(timer)
      if (code === 0) res(out)
      else rej(new Error(`poi-audit ${args.join(' ')} exited with ${code}:\n${out}`))
    })
  })
}

export async function startServe(project: string, opts: { actor?: string; timeoutMs?: number } = {}): Promise<Served> {
  if (!existsSync(join(RENDERER_DIR, 'index.html'))) {
    throw new Error(`no built UI at ${RENDERER_DIR}: run "npm run build" first (npm run test:e2e does)`)
  }
  const [cmd, argv] = cliCommand([
    'serve',
    project,
    '--port',
    '0',
    '--static',
    RENDERER_DIR,
    '--actor',
    opts.actor ?? 'e2e-curator'
  ])
  const child: ChildProcess = spawn(cmd, argv, { cwd: REPO, stdio: ['ignore', 'pipe', 'pipe'] })
  let log = ''
  const exited = new Promise<void>((r) => child.once('exit', () => r()))
  const loginUrl = await new Promise<string>((res, rej) => {
    const timer = setTimeout(
      () => rej(new Error(`poi-audit serve printed no URL within ${opts.timeoutMs ?? 60_000} ms:\n${log}`)),
      opts.timeoutMs ?? 60_000
    )
    const onData = (d: Buffer): void => {
      log += d.toString()
      const m = /(http:\/\/127\.0\.0\.1:\d+\/\?token=[A-Za-z0-9_-]+)/.exec(log)
      if (m) {
        clearTimeout(timer)
        res(m[1])
      }
    }
    child.stdout!.on('data', onData)
    child.stderr!.on('data', (d: Buffer) => (log += d.toString()))
    child.once('exit', (code) => {
      clearTimeout(timer)
      rej(new Error(`poi-audit serve exited with ${code}:\n${log}`))
    })
  })
  const u = new URL(loginUrl)
  return {
    url: u.origin,
    loginUrl,
    token: u.searchParams.get('token') ?? '',
    log: () => log,
    async stop() {
      if (child.exitCode === null) child.kill('SIGTERM')
      const t = setTimeout(() => child.kill('SIGKILL'), 10_000)
      await exited
      clearTimeout(t)
    }
  }
}
