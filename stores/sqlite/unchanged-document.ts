/**
 * A job whose document is unchanged since it was indexed (Store.finishUnchanged): it succeeds at
 * the parse stage with the chunks there are, and nothing else is written. In the same transaction
 * as the check, so a delete or another version indexed meanwhile is either seen (the job is
 * processed) or comes after.
 */
import type Database from 'better-sqlite3';
import { isTerminal } from '../../schema/domain.ts';
import type { UnchangedOutcome } from '../store.ts';
import { rowToJob, type JobRow } from './job-rows.ts';
import { markSucceeded } from './job-success.ts';
import { prepared } from './statements.ts';

/** Must run inside an immediate transaction (see SqliteStore.finishUnchanged). */
export function finishUnchangedInTransaction(db: Database.Database, jobId: string, fingerprint: string, now: number): UnchangedOutcome {
  const row = prepared(db, 'SELECT * FROM jobs WHERE id = ?').get(jobId) as JobRow | undefined;
  if (row === undefined) throw new Error(`jobId: job "${jobId}" does not exist`);
  const job = rowToJob(row);
  if (isTerminal(job.status)) return { kind: 'finished', job };
  // The job's own document: the job row, not the message, says which one that is.
  const document = prepared(db, "SELECT chunk_count FROM documents WHERE collection = ? AND id = ? AND status = 'INDEXED' AND fingerprint = ?")
    .get(job.collection, job.documentId, fingerprint) as { chunk_count: number } | undefined;
  if (document === undefined) return { kind: 'changed' };
  return { kind: 'unchanged', job: markSucceeded(db, job, 'PARSE', document.chunk_count, now) };
}
