/** Row ↔ DocumentRecord mapping for the documents table. */
import type { DocumentRecord, DocumentStatus, Metadata } from '../../schema/domain.ts';

/** A documents row as better-sqlite3 returns it. */
export interface DocumentRow {
  readonly id: string;
  readonly collection: string;
  readonly title: string | null;
  readonly mime_type: string | null;
  readonly source_url: string | null;
  readonly status: string;
  readonly chunk_count: number;
  readonly metadata: string;
  readonly content_hash: string | null;
  readonly fingerprint: string | null;
  readonly created_at: number;
  readonly updated_at: number;
}

export function rowToDocument(row: DocumentRow): DocumentRecord {
  return {
    id: row.id,
    collection: row.collection,
    title: row.title,
    mimeType: row.mime_type,
    sourceUrl: row.source_url,
    status: row.status as DocumentStatus,
    chunkCount: row.chunk_count,
    metadata: JSON.parse(row.metadata) as Metadata,
    contentHash: row.content_hash,
    fingerprint: row.fingerprint,
    createdAt: new Date(row.created_at),
    updatedAt: new Date(row.updated_at),
  };
}
