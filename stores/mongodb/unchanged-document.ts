/**
 * A job whose document is unchanged since it was indexed (Store.finishUnchanged) on MongoDB: it
 * succeeds with the chunks there are, nothing else written; in one transaction where the
 * deployment has them, as indexDocument. Without one, the job's end is still a conditional update
 * on a job not yet terminal, and a document is deleted only after its running jobs are cancelled,
 * so a delete between the check and the update leaves the job CANCELLED, not SUCCEEDED.
 */
import type { ClientSession, MongoClient } from 'mongodb';
import { TERMINAL_STATUSES } from '../../schema/domain.ts';
import type { UnchangedOutcome } from '../store.ts';
import { documentKey } from './document-identity.ts';
import type { StoreCollections } from './index-document.ts';
import { documentToJob } from './job-documents.ts';
import { markSucceeded } from './job-success.ts';
import { inTransaction } from './transaction.ts';

export function finishUnchanged(
  client: MongoClient, collections: StoreCollections, jobId: string, fingerprint: string, transactions: boolean,
): Promise<UnchangedOutcome> {
  return inTransaction(client, transactions, (session) => finish(collections, jobId, fingerprint, session), {
    readConcern: { level: 'snapshot' },
    writeConcern: { w: 'majority' },
  });
}

async function finish(
  { jobs, documents, resumePoints }: StoreCollections, jobId: string, fingerprint: string, session: ClientSession | undefined,
): Promise<UnchangedOutcome> {
  const options = session === undefined ? {} : { session };
  const job = await jobs.findOne({ _id: jobId }, options);
  if (job === null) throw new Error(`jobId: job "${jobId}" does not exist`);
  if (TERMINAL_STATUSES.includes(job.status)) return { kind: 'finished', job: documentToJob(job) };
  // The job's own document: the job, not the message, says which one that is.
  const document = await documents.findOne(
    { ...documentKey(job.collection, job.documentId), status: 'INDEXED', fingerprint },
    { ...options, projection: { chunkCount: 1 } },
  );
  if (document === null) return { kind: 'changed' };
  const succeeded = await markSucceeded({ jobs, resumePoints }, jobId, 'PARSE', document.chunkCount, new Date(), session);
  if (succeeded !== null) return { kind: 'unchanged', job: succeeded };
  // Cancelled between the reads and the update: nothing was written.
  const current = await jobs.findOne({ _id: jobId }, options);
  return { kind: 'finished', job: documentToJob(current!) };
}
