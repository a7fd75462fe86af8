/** The job fields the CLI reads, and how it orders and describes job states. */
import { TERMINAL_STATUSES } from '../schema/domain.ts';

/** GraphQL selection of a Job for every command. */
export const JOB_SELECTION = 'id collection documentId status stage progress attempts error chunkCount priority createdAt updatedAt finishedAt';

/** A job as the CLI receives it. */
export interface JobState {
  readonly id: string;
  readonly collection: string;
  readonly documentId: string;
  readonly status: string;
  readonly stage: string | null;
  readonly progress: number;
  readonly attempts: number;
  readonly error: string | null;
  readonly chunkCount: number | null;
  readonly priority: string;
  readonly createdAt: string;
  readonly updatedAt: string;
  readonly finishedAt: string | null;
}

/** An event of the jobEvents / jobProgress subscriptions. */
export interface JobEventState {
  readonly job: JobState;
  readonly stage: string | null;
  readonly status: string;
  readonly progress: number;
  readonly message: string | null;
  readonly at: string;
}

export const JOB_EVENT_SELECTION = `job { ${JOB_SELECTION} } stage status progress message at`;

const TERMINAL = new Set<string>(TERMINAL_STATUSES);

export function isTerminal(status: string): boolean {
  return TERMINAL.has(status);
}

/** Whether a job ended badly: the CLI exits 1 when any did. */
export function isFailure(status: string): boolean {
  return isTerminal(status) && status !== 'SUCCEEDED';
}

/**
 * Whether `next` is newer than `current`. Events and one-off reads can arrive in any order (the
 * subscription and the read after acceptance race), so a terminal state is never replaced, and
 * otherwise a state replaces one it does not precede.
 */
export function supersedes(next: JobState, current: JobState | undefined): boolean {
  if (current === undefined) return true;
  if (isTerminal(current.status)) return false;
  if (isTerminal(next.status)) return true;
  if (next.updatedAt !== current.updatedAt) return Date.parse(next.updatedAt) > Date.parse(current.updatedAt);
  return next.progress > current.progress || next.stage !== current.stage || next.status !== current.status;
}

export function percent(progress: number): string {
  return `${Math.round(progress * 100)}%`;
}

/**
 * Whether a job succeeded by finding its document unchanged: it ended at the parse stage, where
 * every other success ends at INDEX (see IngestInput.force).
 */
export function foundUnchanged(job: JobState): boolean {
  return job.status === 'SUCCEEDED' && job.stage === 'PARSE';
}

/**
 * `EMBED RUNNING 60%` (`PARSE QUEUED 0%` while it waits for that stage), `SUCCEEDED (3 chunks)`,
 * `SUCCEEDED (unchanged, 3 chunks)`, `FAILED: reason`.
 */
export function describeJob(job: JobState): string {
  if (job.status === 'SUCCEEDED') {
    const chunks = job.chunkCount ?? 0;
    return `SUCCEEDED (${foundUnchanged(job) ? 'unchanged, ' : ''}${chunks} ${chunks === 1 ? 'chunk' : 'chunks'})`;
  }
  if (isTerminal(job.status)) return job.error ? `${job.status}: ${job.error}` : job.status;
  return `${job.stage === null ? '' : `${job.stage} `}${job.status} ${percent(job.progress)}`;
}
