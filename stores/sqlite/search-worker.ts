/**
 * A worker thread that runs searches (vector, lexical, hybrid) on its own read-only connection, so a KNN scan
 * (tens of ms at 100k chunks, synchronous in better-sqlite3) never blocks the gateway's event
 * loop: mutations keep answering while searches run. WAL lets this reader run beside writers.
 */
import { parentPort, workerData } from 'node:worker_threads';
import Database from 'better-sqlite3';
import * as sqliteVec from 'sqlite-vec';
import { runSearch, type SqliteSearch } from './run-search.ts';

/** A request from the pool. */
export interface SearchRequest {
  readonly id: number;
  readonly search: SqliteSearch;
}

const { path, busyTimeoutMs } = workerData as { path: string; busyTimeoutMs: number };
const db = new Database(path, { readonly: true, timeout: busyTimeoutMs });
sqliteVec.load(db);

parentPort!.on('message', ({ id, search }: SearchRequest) => {
  try {
    parentPort!.postMessage({ id, hits: runSearch(db, search) });
  } catch (error) {
    parentPort!.postMessage({ id, error: error instanceof Error ? error.message : String(error) });
  }
});
