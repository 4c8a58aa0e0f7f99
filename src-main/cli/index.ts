import { buildProgram } from './program'

const program = buildProgram()
program.parseAsync(process.argv).catch((e: unknown) => {
  console.error(`poi-audit: ${(e as Error).message}`)
  process.exit(1)
})
