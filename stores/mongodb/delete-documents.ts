/**
 * Deletion in MongoDB: a document's chunks and the document itself, or a whole collection with
 * its registry entry, in one transaction where the deployment supports it (Atlas and Atlas Local
 * are replica sets). Jobs stay as history; callers cancel running jobs first. The vector index is
 * shared by every collection of a dimension, so deleting a collection removes its vectors (they
 * live on the chunk documents) but keeps the index.
 */
import type { ClientSession, MongoClient } from 'mongodb';
import { documentKey } from './document-identity.ts';
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

export async function deleteCollection(client: MongoClient, c: StoreCollections, name: string, transactions: boolean): Promise<number> {
  return inTransaction(client, transactions, async (session) => {
    const options = session ? { session } : {};
    await c.chunks.deleteMany({ collection: name }, options);
    const { deletedCount } = await c.documents.deleteMany({ collection: name }, options);
    await c.registry.deleteOne({ _id: name }, options);
    return deletedCount;
  });
}

async function inTransaction<T>(client: MongoClient, transactions: boolean, work: (session: ClientSession | undefined) => Promise<T>): Promise<T> {
  if (!transactions) return work(undefined);
  const session = client.startSession();
  try {
    let result: T | undefined;
    await session.withTransaction(async () => { result = await work(session); }, { writeConcern: { w: 'majority' } });
    return result as T;
  } finally {
    await session.endSession();
  }
}
