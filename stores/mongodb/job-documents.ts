/**
 * Job ↔ MongoDB document mapping, the conditional update a JobPatch becomes, and the opaque
 * job-list cursor (newest first by createdAt, then id).
 */
import type { JobCursor } from '../job-cursor.ts';
import type { Filter, UpdateFilter } from 'mongodb';
import { isTerminal, TERMINAL_STATUSES } from '../../schema/domain.ts';
import type { Job, JobStatus, Priority, Stage } from '../../schema/domain.ts';
import type { JobPatch } from '../store.ts';

/** A job as stored in the `jobs` collection (`_id` is the job id). */
export interface JobDocument {
  _id: string;
  collection: string;
  documentId: string;
  status: JobStatus;
  stage: Stage | null;
  progress: number;
  attempts: number;
  error: string | null;
  chunkCount: number | null;
  priority: Priority;
  seq: number;
  traceId: string | null;
  createdAt: Date;
  updatedAt: Date;
  finishedAt: Date | null;
}

export function jobToDocument(job: Job): JobDocument {
  const { id, ...rest } = job;
  return { _id: id, ...rest };
}

export function documentToJob(doc: JobDocument): Job {
  return {
    id: doc._id,
    collection: doc.collection,
    documentId: doc.documentId,
    status: doc.status,
    stage: doc.stage,
    progress: doc.progress,
    attempts: doc.attempts,
    error: doc.error,
    chunkCount: doc.chunkCount,
    priority: doc.priority,
    seq: doc.seq,
    traceId: doc.traceId,
    createdAt: doc.createdAt,
    updatedAt: doc.updatedAt,
    finishedAt: doc.finishedAt,
  };
}

/** Which job a patch may touch: any state when forced, otherwise only a job that is not terminal. */
export function patchFilter(id: string, patch: JobPatch): Filter<JobDocument> {
  return patch.force === true ? { _id: id } : { _id: id, status: { $nin: [...TERMINAL_STATUSES] } };
}

/**
 * The update for a patch, applied in one atomic findOneAndUpdate: `seq` incremented, progress
 * raised with `$max` (never lowered) unless forced, finishedAt set when the patch finishes the
 * job and cleared when it reopens it.
 */
export function patchUpdate(patch: JobPatch, now: Date): UpdateFilter<JobDocument> {
  const set: Partial<JobDocument> = { updatedAt: now };
  if (patch.status !== undefined) {
    set.status = patch.status;
    set.finishedAt = isTerminal(patch.status) ? now : null;
  }
  if (patch.stage !== undefined) set.stage = patch.stage;
  if (patch.attempts !== undefined) set.attempts = patch.attempts;
  if (patch.error !== undefined) set.error = patch.error;
  if (patch.chunkCount !== undefined) set.chunkCount = patch.chunkCount;
  const update: UpdateFilter<JobDocument> = { $set: set, $inc: { seq: 1 } };
  if (patch.progress !== undefined) {
    if (patch.force === true) set.progress = patch.progress;
    else update.$max = { progress: patch.progress };
  }
  return update;
}

/** Jobs strictly after the cursor in newest-first order. */
export function afterCursor(cursor: JobCursor): Filter<JobDocument> {
  const createdAt = new Date(cursor.createdAt);
  return { $or: [{ createdAt: { $lt: createdAt } }, { createdAt, _id: { $lt: cursor.id } }] };
}
