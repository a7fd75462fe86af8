/** A job as every store records it on creation: QUEUED at the stage it waits for (if given), no progress, seq 1. */
import type { Job } from '../schema/domain.ts';
import type { NewJob } from './store.ts';

export function queuedJob(job: NewJob, now: Date): Job {
  return {
    id: job.id,
    collection: job.collection,
    documentId: job.documentId,
    status: 'QUEUED',
    stage: job.stage ?? null,
    progress: 0,
    attempts: 0,
    error: null,
    chunkCount: null,
    priority: job.priority,
    seq: 1,
    traceId: job.traceId ?? null,
    createdAt: now,
    updatedAt: now,
    finishedAt: null,
  };
}
