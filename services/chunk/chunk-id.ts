/**
 * Chunk ids derive from the document's identity (collection and id), the position and the
 * content, so a redelivered message produces the same ids (idempotent writes), a changed chunk
 * gets a new one, and the same document id and text in two collections never share a chunk id.
 */
import { createHash } from 'node:crypto';

export function chunkId(collection: string, documentId: string, ordinal: number, text: string): string {
  return createHash('sha256').update(`${collection}\u0000${documentId}\u0000${ordinal}\u0000${text}`).digest('hex').slice(0, 32);
}
