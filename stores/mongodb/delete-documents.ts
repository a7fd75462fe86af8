/**
 * Deletion in MongoDB: a document's chunks and the document itself, or a whole collection with
 * its registry entry, in one transaction where the deployment supports it (Atlas and Atlas Local
 * are replica sets), up to a size a transaction can hold. Jobs stay as history; callers cancel
 * running jobs first. The vector index is shared by every collection of a dimension, so deleting
 * a collection removes its vectors (they live on the chunk documents) but keeps the index.
 */
import type { MongoClient } from 'mongodb';
import { documentKey } from './document-identity.ts';
import { inTransaction } from './transaction.ts';
import type { StoreCollections } from './index-document.ts';

/** Deletes one collection's document and its chunks; the same id in another collection stays. */
export async function deleteDocument(
  client: MongoClient, c: StoreCollections, collection: string, id: string, transactions: boolean,
): Promise<boolean> {
  return inTransaction(client, transactions, async (session) => {
    const options = session ? { session } : {};
    const key = documentKey(collection, id);
    await c.chunks.deleteMany(key, options);
    const { deletedCount } = await c.documents.deleteOne(key, options);
    return deletedCount > 0;
  });
}

/**
 * Chunks a collection may hold for its deletion to be one transaction. A transaction must end
 * within a minute (transactionLifetimeLimitSeconds, 60 by default) and holds its uncommitted
 * writes in the cache ("Production Considerations" of MongoDB transactions): deleting a collection
 * of hundreds of thousands of chunks, each with its vector, in one would fail every time.
 */
export const TRANSACTION_MAX_CHUNKS = 10_000;

/**
 * Deletes a collection: in one transaction up to TRANSACTION_MAX_CHUNKS chunks, else step by
 * step, each step a single server-side delete: the registry entry first (from then on the
 * collection is unknown to search and to getCollection), then its chunks, then its documents. A
 * failure part way leaves a collection that the next deleteCollection finishes. Without the
 * transaction, a job accepted into the collection while it is being deleted may lose its chunks
 * or its document to the steps after it: stop ingesting into a collection before deleting it.
 */
export async function deleteCollection(client: MongoClient, c: StoreCollections, name: string, transactions: boolean): Promise<number> {
  const chunks = await c.chunks.countDocuments({ collection: name }, { limit: TRANSACTION_MAX_CHUNKS + 1 });
  return inTransaction(client, transactions && chunks <= TRANSACTION_MAX_CHUNKS, async (session) => {
    const options = session ? { session } : {};
    await c.registry.deleteOne({ _id: name }, options);
    await c.chunks.deleteMany({ collection: name }, options);
    const { deletedCount } = await c.documents.deleteMany({ collection: name }, options);
    return deletedCount;
  });
}
