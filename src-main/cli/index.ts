import { buildProgram } from './program'
import { userMessage } from '../core/api/errors'

const program = buildProgram()
program.parseAsync(process.argv).catch((e: unknown) => {
  console.error(`poi-audit: ${userMessage(e)}`)
  process.exit(1)
})
