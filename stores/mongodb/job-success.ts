/**
 * A job's end in success on MongoDB, the same for the index write and for a document found
 * unchanged: SUCCEEDED at its last stage with the document's chunk count, by a conditional update
 * on a job not yet terminal, and its resume point gone (nothing left to resume from). Null when
 * the job had ended already (cancelled meanwhile): then nothing is written.
 */
import type { ClientSession } from 'mongodb';
import { TERMINAL_STATUSES, type Job, type Stage } from '../../schema/domain.ts';
import type { StoreCollections } from './index-document.ts';
import { documentToJob } from './job-documents.ts';

export async function markSucceeded(
  { jobs, resumePoints }: Pick<StoreCollections, 'jobs' | 'resumePoints'>, jobId: string, stage: Stage, chunkCount: number,
  now: Date, session: ClientSession | undefined,
): Promise<Job | null> {
  const options = session === undefined ? {} : { session };
  const succeeded = await jobs.findOneAndUpdate(
    { _id: jobId, status: { $nin: [...TERMINAL_STATUSES] } },
    { $set: { status: 'SUCCEEDED', stage, progress: 1, error: null, chunkCount, updatedAt: now, finishedAt: now }, $inc: { seq: 1 } },
    { ...options, returnDocument: 'after' },
  );
  if (succeeded === null) return null;
  await resumePoints.deleteOne({ _id: jobId }, options);
  return documentToJob(succeeded);
}
