/**
 * Chunk ids derive from the document id, the position and the content, so a redelivered
 * message produces the same ids (idempotent writes) and a changed chunk gets a new one.
 */
import { createHash } from 'node:crypto';

export function chunkId(documentId: string, ordinal: number, text: string): string {
  return createHash('sha256').update(`${documentId}\u0000${ordinal}\u0000${text}`).digest('hex').slice(0, 32);
}
