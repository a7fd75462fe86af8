/**
 * A job's end in success, the same for the index write and for a document found unchanged: the
 * job row SUCCEEDED at its last stage with the document's chunk count, and its resume point gone
 * (a job that succeeded has nothing left to resume from). Runs inside the caller's transaction.
 */
import type Database from 'better-sqlite3';
import type { Job, Stage } from '../../schema/domain.ts';
import { prepared } from './statements.ts';

export function markSucceeded(db: Database.Database, job: Job, stage: Stage, chunkCount: number, now: number): Job {
  prepared(db,
    `UPDATE jobs SET status = 'SUCCEEDED', stage = @stage, progress = 1, error = NULL, chunk_count = @chunkCount,
       seq = seq + 1, updated_at = @now, finished_at = @now WHERE id = @id`,
  ).run({ stage, chunkCount, now, id: job.id });
  prepared(db, 'DELETE FROM resume_points WHERE job_id = ?').run(job.id);
  return {
    ...job, status: 'SUCCEEDED', stage, progress: 1, error: null, chunkCount, seq: job.seq + 1, updatedAt: new Date(now), finishedAt: new Date(now),
  };
}
