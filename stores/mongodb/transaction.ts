/**
 * Runs `work` in one multi-document transaction where the deployment has them (Atlas and Atlas
 * Local are replica sets), else without a session. withTransaction runs it again on transient
 * errors (a write conflict between writers), so `work` must be safe to repeat.
 */
import type { ClientSession, MongoClient, TransactionOptions } from 'mongodb';

export async function inTransaction<T>(
  client: MongoClient, transactions: boolean, work: (session: ClientSession | undefined) => Promise<T>,
  options: TransactionOptions = { writeConcern: { w: 'majority' } },
): Promise<T> {
  if (!transactions) return work(undefined);
  const session = client.startSession();
  try {
    let result: T | undefined;
    await session.withTransaction(async () => { result = await work(session); }, options);
    return result as T;
  } finally {
    await session.endSession();
  }
}
