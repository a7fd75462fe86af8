/** Row ↔ Job mapping for the jobs table, and the opaque job-list cursor. */
import type { Job, JobStatus, Priority, Stage } from '../../../schema/domain.ts';

/** A jobs row as better-sqlite3 returns it. */
export interface JobRow {
  readonly id: string;
  readonly collection: string;
  readonly document_id: string;
  readonly status: string;
  readonly stage: string | null;
  readonly progress: number;
  readonly attempts: number;
  readonly error: string | null;
  readonly chunk_count: number | null;
  readonly priority: string;
  readonly seq: number;
  readonly trace_id: string | null;
  readonly created_at: number;
  readonly updated_at: number;
  readonly finished_at: number | null;
}

export function rowToJob(row: JobRow): Job {
  return {
    id: row.id,
    collection: row.collection,
    documentId: row.document_id,
    status: row.status as JobStatus,
    stage: row.stage as Stage | null,
    progress: row.progress,
    attempts: row.attempts,
    error: row.error,
    chunkCount: row.chunk_count,
    priority: row.priority as Priority,
    seq: row.seq,
    traceId: row.trace_id,
    createdAt: new Date(row.created_at),
    updatedAt: new Date(row.updated_at),
    finishedAt: row.finished_at === null ? null : new Date(row.finished_at),
  };
}

/** Named parameters for writing a whole job row. */
export function jobToParams(job: Job): Record<string, string | number | null> {
  return {
    id: job.id,
    collection: job.collection,
    document_id: job.documentId,
    status: job.status,
    stage: job.stage,
    progress: job.progress,
    attempts: job.attempts,
    error: job.error,
    chunk_count: job.chunkCount,
    priority: job.priority,
    seq: job.seq,
    trace_id: job.traceId,
    created_at: job.createdAt.getTime(),
    updated_at: job.updatedAt.getTime(),
    finished_at: job.finishedAt === null ? null : job.finishedAt.getTime(),
  };
}

/** Position of a job in the newest-first order: (created_at, id). */
export interface JobCursor {
  readonly createdAt: number;
  readonly id: string;
}

export function encodeJobCursor(job: Job): string {
  return Buffer.from(JSON.stringify([job.createdAt.getTime(), job.id])).toString('base64url');
}

/** Parses a cursor from `encodeJobCursor`; throws naming `after` when it is not one. */
export function decodeJobCursor(cursor: string): JobCursor {
  let value: unknown;
  try {
    value = JSON.parse(Buffer.from(cursor, 'base64url').toString('utf8'));
  } catch {
    value = undefined;
  }
  if (Array.isArray(value) && value.length === 2 && Number.isSafeInteger(value[0]) && typeof value[1] === 'string') {
    return { createdAt: value[0] as number, id: value[1] };
  }
  throw new Error('after: not a cursor returned by a previous page (pass endCursor unchanged)');
}
