/**
 * The consensus worker thread: opens the project read-only (its own connection; WAL lets it read
 * while the server keeps writing decisions), fits the consensus in one read transaction at a low
 * priority and posts the fit back. It never writes.
 */
import { answerReadJob } from '../store/read-worker'
import { computeFit } from './fit'
import type { ConsensusJob } from './worker'

answerReadJob((db, job: ConsensusJob) => ({ fit: computeFit(db, job.req) }))
