/**
 * Resume points in MongoDB: the input message of the stage a job stopped in, one per job, so a
 * retry resumes there. Kept in their own collection, keyed by job id.
 */
import type { Collection } from 'mongodb';
import type { Stage } from '../../schema/domain.ts';
import type { ResumePoint } from '../store.ts';
import type { JobDocument } from './job-documents.ts';

export interface ResumePointDocument {
  _id: string;
  stage: Stage;
  message: string;
  savedAt: Date;
}

export async function saveResumePoint(
  jobs: Collection<JobDocument>, points: Collection<ResumePointDocument>, point: Omit<ResumePoint, 'savedAt'>,
): Promise<void> {
  // Unknown jobs are ignored, as the port promises.
  if ((await jobs.countDocuments({ _id: point.jobId }, { limit: 1 })) === 0) return;
  await points.replaceOne(
    { _id: point.jobId },
    { stage: point.stage, message: point.message, savedAt: new Date() },
    { upsert: true, writeConcern: { w: 'majority' } },
  );
}

export async function getResumePoint(points: Collection<ResumePointDocument>, jobId: string): Promise<ResumePoint | null> {
  const doc = await points.findOne({ _id: jobId });
  return doc === null ? null : { jobId: doc._id, stage: doc.stage, message: doc.message, savedAt: doc.savedAt };
}
