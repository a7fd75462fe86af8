/**
 * Rules every store applies to jobs, whatever its driver: what a patch or a page request may
 * hold, and the error for a job id that is taken.
 */
import { JOB_STATUSES } from '../schema/domain.ts';
import type { JobPatch, JobQuery } from './store.ts';

/** createJob with an id that already exists: job ids are unique. */
export class DuplicateJobError extends Error {
  constructor(readonly jobId: string, options?: { cause?: unknown }) {
    super(`job "${jobId}" already exists: job ids must be unique`, options);
    this.name = 'DuplicateJobError';
  }
}

/** Throws naming the field when a patch carries a value no job may hold. */
export function validateJobPatch(patch: JobPatch): void {
  if (patch.status !== undefined && !JOB_STATUSES.includes(patch.status)) {
    throw new Error(`status must be one of ${JOB_STATUSES.join(', ')}, got ${String(patch.status)}`);
  }
  if (patch.progress !== undefined && !(patch.progress >= 0 && patch.progress <= 1)) {
    throw new Error(`progress must be between 0 and 1, got ${patch.progress}`);
  }
}

/** Throws naming `first` when the page size is not a count. */
export function validateJobQuery(query: JobQuery): void {
  if (!Number.isInteger(query.first) || query.first < 0) {
    throw new Error(`first must be a non-negative integer, got ${query.first}`);
  }
}
