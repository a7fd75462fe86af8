/**
 * A document belongs to its collection (issue 12): its identity is (collection, documentId) in
 * every query and write, so the same id in two collections names two unrelated documents and no
 * write in one collection can move, replace or delete another's. Chunk ids are unique within a
 * collection. Both are enforced by unique indexes; documents and chunks written before (their
 * id in `_id`, unique across collections) get the fields copied from `_id` once, at start.
 */
import type { Collection, IndexDescription } from 'mongodb';
import type { ChunkDocument, StoredDocument } from './index-document.ts';

/** The filter naming one collection's document, for documents and for its chunks alike. */
export function documentKey(collection: string, documentId: string): { collection: string; documentId: string } {
  return { collection, documentId };
}

/** Indexes of the documents collection: one document per (collection, documentId). */
export const DOCUMENT_INDEXES: readonly IndexDescription[] = [
  { key: { collection: 1, documentId: 1 }, unique: true, name: 'collection_documentId_unique' },
];

/** Indexes of the chunks collection: a document's chunks, and chunk ids unique per collection. */
export const CHUNK_INDEXES: readonly IndexDescription[] = [
  { key: { collection: 1, documentId: 1 }, name: 'collection_documentId' },
  { key: { collection: 1, chunkId: 1 }, unique: true, name: 'collection_chunkId_unique' },
];

/**
 * Brings documents and chunks stored before issue 12 to the (collection, documentId) identity
 * (copying `_id` into `documentId` and `chunkId`), then creates the unique indexes. Idempotent:
 * safe to run at every start, by several processes at once.
 */
export async function prepareDocumentIdentity(
  documents: Collection<StoredDocument>, chunks: Collection<ChunkDocument>,
): Promise<void> {
  await documents.updateMany({ documentId: { $exists: false } }, [{ $set: { documentId: '$_id' } }]);
  await chunks.updateMany({ chunkId: { $exists: false } }, [{ $set: { chunkId: '$_id' } }]);
  await documents.createIndexes([...DOCUMENT_INDEXES]);
  await chunks.createIndexes([...CHUNK_INDEXES]);
}
