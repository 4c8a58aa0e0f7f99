import { Command } from 'commander'
import { COMMANDS } from './commands/index'

/** Builds the `poi-audit` command tree. Each command lives in its own module under cli/commands. */
export function buildProgram(): Command {
  const program = new Command('poi-audit')
    .description('POI Audit: find and fix label errors in facial-expression datasets')
    .version('0.1.0')
    .showHelpAfterError()
  for (const register of COMMANDS) register(program)
  return program
}
