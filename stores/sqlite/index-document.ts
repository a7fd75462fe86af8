/**
 * The index stage's write: replace a document's chunks and vectors and mark its job SUCCEEDED.
 * The caller runs it inside one `BEGIN IMMEDIATE` transaction, so a reader or another process
 * sees either the old version with the job still running or the new version with the job done.
 */
import type Database from 'better-sqlite3';
import { isTerminal } from '../../schema/domain.ts';
import type { EmbedderIdentity } from '../../schema/domain.ts';
import { EmbedderMismatchError, sameEmbedder } from '../../schema/embedder-mismatch.ts';
import { JobDocumentMismatchError } from '../store.ts';
import type { IndexOutcome, IndexRequest } from '../store.ts';
import { rowToJob } from './job-rows.ts';
import type { JobRow } from './job-rows.ts';
import { createLexicalTable, createVectorTable, lexicalTableName, vectorTableName } from './migrations.ts';
import { vectorToBlob } from './vector-search.ts';
import { markSucceeded } from './job-success.ts';
import { prepared } from './statements.ts';

interface CollectionRow {
  readonly id: number;
  readonly embedder_name: string;
  readonly embedder_dimension: number;
}

/** Must run inside an immediate transaction (see SqliteStore.indexDocument). */
export function indexDocumentInTransaction(db: Database.Database, request: IndexRequest, now: number): IndexOutcome {
  const { document, embedder, chunks } = request;
  const jobRow = prepared(db, 'SELECT * FROM jobs WHERE id = ?').get(request.jobId) as JobRow | undefined;
  if (jobRow === undefined) {
    throw new Error(`jobId: job "${request.jobId}" does not exist: create the job before indexing its document`);
  }
  const job = rowToJob(jobRow);
  // A job writes its own document only: the job row, not the message, says which one that is.
  if (job.collection !== document.collection || job.documentId !== document.id) {
    throw new JobDocumentMismatchError(job.id, job, document);
  }
  // A cancelled job, or a redelivery after success: leave everything as it is.
  if (isTerminal(job.status)) return { kind: 'skipped', job };

  chunks.forEach((chunk, index) => {
    if (chunk.vector.length !== embedder.dimension) {
      throw new Error(
        `chunks.${index}.vector has ${chunk.vector.length} dimensions, embedder ${embedder.name} declares ${embedder.dimension}`,
      );
    }
  });
  const collectionRowId = ensureCollection(db, document.collection, embedder, now);
  removeChunks(db, document.collection, document.id);

  const metadata = JSON.stringify(document.metadata);
  prepared(db, 
    `INSERT INTO documents (id, collection, title, mime_type, source_url, status, chunk_count, metadata, content_hash, fingerprint, created_at, updated_at)
     VALUES (@id, @collection, @title, @mimeType, @sourceUrl, 'INDEXED', @chunkCount, @metadata, @contentHash, @fingerprint, @now, @now)
     ON CONFLICT (collection, id) DO UPDATE SET
       title = excluded.title, mime_type = excluded.mime_type,
       source_url = excluded.source_url, status = excluded.status, chunk_count = excluded.chunk_count,
       metadata = excluded.metadata, content_hash = excluded.content_hash, fingerprint = excluded.fingerprint,
       updated_at = excluded.updated_at`,
  ).run({
    id: document.id,
    collection: document.collection,
    title: document.title,
    mimeType: document.mimeType,
    sourceUrl: document.sourceUrl,
    chunkCount: chunks.length,
    metadata,
    contentHash: document.contentHash,
    fingerprint: document.fingerprint ?? null,
    now,
  });

  const insertChunk = prepared(db, 
    `INSERT INTO chunks (id, document_id, collection, ordinal, text, heading, metadata, title)
     VALUES (?, ?, ?, ?, ?, ?, ?, ?)`,
  );
  const insertVector = prepared(db, `INSERT INTO ${vectorTableName(collectionRowId)} (rowid, embedding) VALUES (?, ?)`);
  const insertLexical = prepared(db, `INSERT INTO ${lexicalTableName(collectionRowId)} (rowid, text, heading, title) VALUES (?, ?, ?, ?)`);
  for (const chunk of chunks) {
    const { lastInsertRowid } = insertChunk.run(
      chunk.id, document.id, document.collection, chunk.ordinal, chunk.text, chunk.heading, metadata, document.title,
    );
    // vec0 accepts only integer rowids; better-sqlite3 binds plain numbers as REAL, so pass a BigInt.
    insertVector.run(BigInt(lastInsertRowid), vectorToBlob(chunk.vector));
    insertLexical.run(lastInsertRowid, chunk.text, chunk.heading, document.title);
  }

  return { kind: 'indexed', job: markSucceeded(db, job, 'INDEX', chunks.length, now) };
}

/** Registers the collection's embedder on first use; afterwards every write must use the same one. */
function ensureCollection(db: Database.Database, name: string, embedder: EmbedderIdentity, now: number): number {
  const row = prepared(db, 'SELECT id, embedder_name, embedder_dimension FROM collections WHERE name = ?')
    .get(name) as CollectionRow | undefined;
  if (row !== undefined) {
    const built = { name: row.embedder_name, dimension: row.embedder_dimension };
    if (!sameEmbedder(built, embedder)) throw new EmbedderMismatchError(name, built, embedder);
    return row.id;
  }
  const { lastInsertRowid } = prepared(db, 
    'INSERT INTO collections (name, embedder_name, embedder_dimension, created_at) VALUES (?, ?, ?, ?)',
  ).run(name, embedder.name, embedder.dimension, now);
  const id = Number(lastInsertRowid);
  createVectorTable(db, id, embedder.dimension);
  createLexicalTable(db, id);
  return id;
}

/** Deletes the chunks of one collection's document, their vectors and their lexical entries. */
export function removeChunks(db: Database.Database, collection: string, documentId: string): void {
  const table = prepared(db, 'SELECT id FROM collections WHERE name = ?').get(collection) as { id: number } | undefined;
  if (table !== undefined) {
    // One point delete per vector: a vec0 table has no index a `rowid IN (…)` delete could use.
    const deleteVector = prepared(db, `DELETE FROM ${vectorTableName(table.id)} WHERE rowid = ?`);
    // An external-content FTS5 entry is removed with the values it was added with (createLexicalTable).
    const lexical = lexicalTableName(table.id);
    const deleteLexical = prepared(db, `INSERT INTO ${lexical} (${lexical}, rowid, text, heading, title) VALUES ('delete', ?, ?, ?, ?)`);
    const rows = prepared(db, 'SELECT rowid, text, heading, title FROM chunks WHERE collection = ? AND document_id = ?')
      .all(collection, documentId) as { rowid: number; text: string; heading: string | null; title: string | null }[];
    for (const row of rows) {
      deleteVector.run(BigInt(row.rowid));
      deleteLexical.run(row.rowid, row.text, row.heading, row.title);
    }
  }
  prepared(db, 'DELETE FROM chunks WHERE collection = ? AND document_id = ?').run(collection, documentId);
}
