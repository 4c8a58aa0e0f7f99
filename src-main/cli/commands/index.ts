import type { Command } from 'commander'
import { registerAudit } from './audit'
import { registerCompare } from './compare'
import { registerConsensus } from './consensus'
import { registerDemo } from './demo'
import { registerDoctor } from './doctor'
import { registerExport } from './export'
import { registerImport } from './import'
import { registerInfo } from './info'
import { registerInit } from './init'
import { registerScore } from './score'
import { registerServe } from './serve'
import { registerSynth } from './synth'
import { registerTrain } from './train'

/** A CLI command module: adds its subcommand (with --help text) to the program. */
export type RegisterCommand = (program: Command) => void

// One line per command module; keep alphabetical to avoid merge conflicts.
export const COMMANDS: RegisterCommand[] = [
  registerAudit,
  registerCompare,
  registerConsensus,
  registerDemo,
  registerDoctor,
  registerExport,
  registerImport,
  registerInfo,
  registerInit,
  registerScore,
  registerServe,
  registerSynth,
  registerTrain
]
