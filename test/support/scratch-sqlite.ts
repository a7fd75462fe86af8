/**
 * Embedded stores for tests that look inside SQLite: a store in a folder of its own with a
 * read-only connection beside it (as a search thread has), and documents indexed straight
 * through the store's write, each under a job of its own.
 */
import { mkdtempSync, rmSync } from 'node:fs';
import { tmpdir } from 'node:os';
import path from 'node:path';
import Database from 'better-sqlite3';
import type { EmbedderIdentity } from '../../schema/domain.ts';
import { openSqliteStore } from '../../stores/sqlite/sqlite-store.ts';
import type { Store } from '../../stores/store.ts';

export interface ScratchSqlite {
  readonly store: Store;
  /** A read-only connection of its own on the store's file. */
  readonly reader: Database.Database;
  /** Closes both and removes the folder. */
  close(): Promise<void>;
}

export function openScratchSqlite(prefix: string, options: { changeRetention?: number } = {}): ScratchSqlite {
  const dir = mkdtempSync(path.join(tmpdir(), prefix));
  const dbPath = path.join(dir, 'rag.sqlite');
  const store = openSqliteStore({ path: dbPath, searchThreads: false, ...options });
  const reader = new Database(dbPath, { readonly: true });
  return {
    store,
    reader,
    async close() {
      reader.close();
      await store.close();
      rmSync(dir, { recursive: true, force: true });
    },
  };
}

let jobs = 0;

/** Indexes a document of these texts (chunk i's vector [1, i]); indexing it again replaces it. */
export async function indexTexts(store: Store, embedder: EmbedderIdentity, collection: string, documentId: string, texts: readonly string[], metadata: Record<string, unknown> = {}): Promise<void> {
  const jobId = `job-${collection}-${documentId}-${jobs++}`;
  await store.createJob({ id: jobId, collection, documentId, priority: 'NORMAL' });
  await store.indexDocument({
    jobId,
    document: { id: documentId, collection, title: null, mimeType: null, sourceUrl: null, metadata, contentHash: null },
    embedder,
    chunks: texts.map((text, ordinal) => ({ id: `${documentId}:${ordinal}`, ordinal, text, heading: null, vector: new Float32Array([1, ordinal]) })),
  });
}
