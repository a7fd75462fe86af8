/** Row ↔ Job mapping for the jobs table, and the opaque job-list cursor. */
import type { Job, JobStatus, Priority, Stage } from '../../schema/domain.ts';

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

