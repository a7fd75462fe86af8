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

/** Documents listed, and then deleted with their chunks, per step of a deletion in steps. */
export const DOCUMENTS_PER_STEP = 500;

/** How large a collection is deleted in one transaction, and how many documents a step takes. */
export interface CollectionDeletionLimits {
  readonly transactionMaxChunks: number;
  readonly documentsPerStep: number;
}

const LIMITS: CollectionDeletionLimits = { transactionMaxChunks: TRANSACTION_MAX_CHUNKS, documentsPerStep: DOCUMENTS_PER_STEP };

/**
 * Deletes a collection: in one transaction up to `transactionMaxChunks` chunks, else step by step
 * (see deleteInSteps). Returns the number of documents deleted.
 */
export async function deleteCollection(
  client: MongoClient, c: StoreCollections, name: string, transactions: boolean, limits: CollectionDeletionLimits = LIMITS,
): Promise<number> {
  if (transactions) {
    const chunks = await c.chunks.countDocuments({ collection: name }, { limit: limits.transactionMaxChunks + 1 });
    if (chunks <= limits.transactionMaxChunks) {
      return inTransaction(client, true, async (session) => {
        await c.registry.deleteOne({ _id: name }, { session });
        await c.chunks.deleteMany({ collection: name }, { session });
        return (await c.documents.deleteMany({ collection: name }, { session })).deletedCount;
      });
    }
  }
  return deleteInSteps(client, c, name, limits.documentsPerStep);
}

/**
 * A collection deleted step by step, each step a few server-side deletes, so that ingestion into
 * it may go on meanwhile without losing what it writes:
 *
 * 1. the registry entry: from here on the collection is unknown to search and to getCollection
 *    (an index write meanwhile registers it again, with its own embedder);
 * 2. the documents written before the deletion began (their `updatedAt` and the start both by the
 *    server's clock), in pages of `perStep` by id: each page's chunks, then its documents, each
 *    matched by the version listed (the job that indexed it, `indexedBy`). A document indexed
 *    again after its page was listed has replaced that version's chunks with its own and carries
 *    another job, so neither delete touches it: it stays whole, as does a document first indexed
 *    after the start;
 * 3. chunks of no listed version written before `indexedBy` was kept;
 * 4. if documents are left (written meanwhile), the registry entry again, unless a write meanwhile
 *    made one: a write that began before step 1 found the entry and did not write it, so without
 *    this its document would stay in a collection that search does not know.
 *
 * Chunks go before their document, so a failure part way never leaves chunks that no listing
 * finds; the next deleteCollection of the name finishes the rest.
 */
async function deleteInSteps(client: MongoClient, c: StoreCollections, name: string, perStep: number): Promise<number> {
  const { localTime: startedAt } = await client.db().admin().command({ hello: 1 }) as { localTime: Date };
  const entry = await c.registry.findOneAndDelete({ _id: name });
  const listAfter = (last: string | null) => c.documents
    .find({ collection: name, updatedAt: { $lte: startedAt }, ...(last === null ? {} : { documentId: { $gt: last } }) }, {
      projection: { _id: 0, documentId: 1, indexedBy: 1 },
      sort: { documentId: 1 },
      limit: perStep,
    })
    .toArray();
  let deleted = 0;
  for (let page = await listAfter(null); page.length > 0; page = await listAfter(page.at(-1)!.documentId)) {
    // Each branch names the collection, so each is a range of the (collection, documentId) index.
    // `indexedBy: null` also matches a version written before the field was kept (it lacks it).
    const versions = page.map((document) => ({ collection: name, documentId: document.documentId, indexedBy: document.indexedBy ?? null }));
    await c.chunks.deleteMany({ $or: versions });
    deleted += (await c.documents.deleteMany({ $or: versions })).deletedCount;
  }
  await c.chunks.deleteMany({ collection: name, indexedBy: null });
  if (entry !== null && await c.documents.countDocuments({ collection: name }, { limit: 1 }) > 0) {
    const { _id, ...registered } = entry;
    await c.registry.updateOne({ _id }, { $setOnInsert: registered }, { upsert: true });
  }
  return deleted;
}
