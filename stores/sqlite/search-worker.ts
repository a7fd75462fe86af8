/**
 * A worker thread that runs searches (vector, lexical, hybrid) on its own read-only connection, so a KNN scan
 * (tens of ms at 100k chunks, synchronous in better-sqlite3) never blocks the gateway's event
 * loop: mutations keep answering while searches run. WAL lets this reader run beside writers.
 */
import { parentPort, workerData } from 'node:worker_threads';
import Database from 'better-sqlite3';
import * as sqliteVec from 'sqlite-vec';
import { dirname, join } from 'node:path';
import { AnnIndexes } from './ann-index.ts';
import { vectorTableName } from './migrations.ts';
import { runSearch, type SqliteSearch } from './run-search.ts';

/** A request from the pool. */
export interface SearchRequest {
  readonly id: number;
  readonly search: SqliteSearch;
}

const { path: dbPath, busyTimeoutMs, annMinChunks } = workerData as { path: string; busyTimeoutMs: number; annMinChunks: number };
const db = new Database(dbPath, { readonly: true, timeout: busyTimeoutMs });
sqliteVec.load(db);
// Graphs are saved beside the database, one directory shared by every gateway on this file.
const approximate = { indexes: new AnnIndexes(db, join(dirname(dbPath), 'ann'), vectorTableName), minChunks: annMinChunks };

parentPort!.on('message', (message: SearchRequest | { close: true }) => {
  if ('close' in message) {
    try { approximate.indexes.close(); } finally { parentPort!.postMessage({ closed: true }); }
    return;
  }
  const { id, search } = message;
  try {
    parentPort!.postMessage({ id, hits: runSearch(db, search, approximate) });
  } catch (error) {
    parentPort!.postMessage({ id, error: error instanceof Error ? error.message : String(error) });
  }
});
