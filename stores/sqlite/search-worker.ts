/**
 * A worker thread that runs one kind of ranking (vector or lexical, see search-pool.ts) on its own
 * read-only connection, so a KNN scan or an FTS5 ranking (tens of ms at 100k chunks, synchronous in
 * better-sqlite3) never blocks the gateway's event loop: mutations keep answering while searches
 * run. WAL lets this reader run beside writers.
 */
import { parentPort, workerData } from 'node:worker_threads';
import Database from 'better-sqlite3';
import * as sqliteVec from 'sqlite-vec';
import { dirname, join } from 'node:path';
import { AnnIndexes, type AnnSettings } from './ann-index.ts';
import { CollectionSizes } from './collection-sizes.ts';
import { vectorTableName } from './migrations.ts';
import { runSearch, type SqliteSearch } from './run-search.ts';
import { LexicalPostings } from './lexical-postings.ts';
import { KeptFilterMatches } from './kept-filter-matches.ts';
import type { SearchRole } from './search-pool.ts';

/** A request from the pool. */
export interface SearchRequest {
  readonly id: number;
  readonly search: SqliteSearch;
}

/**
 * How often the lexical thread applies the changes written since the last ranking and looks for a
 * collection whose bulk load has paused: at 900 chunks/s, 450 changes a look, within the 2,000 a
 * ranking applies before reading a collection afresh.
 */
const REWARM_CHECK_MS = 500;

const { role, path: dbPath, busyTimeoutMs, ann, postingsBytes } = workerData as
  { role: SearchRole; path: string; busyTimeoutMs: number; ann: AnnSettings; postingsBytes: number };
const db = new Database(dbPath, { readonly: true, timeout: busyTimeoutMs });
sqliteVec.load(db);
// Approximate indexes are saved beside the database, one directory shared by every gateway on
// this file. Only the vector thread keeps them: the lexical thread never ranks vectors.
const approximate = role === 'vector'
  ? {
    indexes: new AnnIndexes(db, join(dirname(dbPath), 'ann'), vectorTableName, ann),
    minChunks: ann.minChunks,
    sizes: new CollectionSizes(db),
  }
  : null;
// Only the lexical thread keeps postings: the vector thread never ranks words.
const postings = role === 'lexical' && postingsBytes > 0 ? new LexicalPostings(db, postingsBytes) : null;

// Each thread keeps the chunks of the filters it is asked for (its own connection, its own snapshots).
const filters = new KeptFilterMatches();

const stopKeepingWordsWarm = postings !== null ? keepWordsWarm(postings) : () => {};

parentPort!.on('message', (message: SearchRequest | { close: true }) => {
  if ('close' in message) {
    // Saves, stops every timer and lets go of the port and the connection, so the thread ends by
    // itself with nothing running: the pool never has to stop it inside a native call.
    try { approximate?.indexes.close(); } finally {
      stopKeepingWordsWarm();
      db.close();
      parentPort!.close();
    }
    return;
  }
  const { id, search } = message;
  try {
    parentPort!.postMessage({ id, hits: runSearch(db, search, { approximate, postings, filters }) });
  } catch (error) {
    parentPort!.postMessage({ id, error: error instanceof Error ? error.message : String(error) });
  }
});

/**
 * Applies the changes written into the kept collections since their last ranking
 * (LexicalPostings.keepUp), and reads kept words again once a bulk load into their collection has
 * paused (LexicalPostings.rewarm), one short step per turn of the event loop, so the searches
 * waiting in the port run in between. Returns what stops it.
 */
function keepWordsWarm(postings: LexicalPostings): () => void {
  let running = false;
  let stopped = false;
  const step = () => {
    if (stopped) return;
    let more = false;
    try {
      more = postings.rewarm();
    } catch {
      // The next ranking reads what it needs, and reports what fails.
    }
    if (more) setImmediate(step);
    else running = false;
  };
  const looks = setInterval(() => {
    if (running) return;
    try {
      postings.keepUp();
    } catch {
      // As above.
    }
    running = true;
    step();
  }, REWARM_CHECK_MS).unref();
  return () => {
    stopped = true;
    clearInterval(looks);
  };
}
