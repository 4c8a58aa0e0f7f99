/**
 * Child process for the server kill test: serves <project> (browser mode, the real server and API)
 * with access token <token> and prints "url <url>" once listening. The parent SIGKILLs it.
 * Usage: node serve-child.mjs <project> <static dir> <token>
 */
import { createServer } from '../../src-main/server/server'

const [project, staticDir, token] = process.argv.slice(2)
const server = await createServer({ project, staticDir, token, actor: 'kill-test' })
process.stdout.write(`url ${server.url}\n`)
