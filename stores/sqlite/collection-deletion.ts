/**
 * Deleting a collection without holding the write lock, or the caller's event loop, for as long
 * as its rows take: in one transaction 100k chunks took 2.2 s here (each chunk row's delete also
 * updates its index and appends to the change log), so at 1M a gateway would answer nothing, and
 * every other writer wait, for about twenty seconds. In steps, each its own transaction:
 *
 * 1. its search tables (vectors, words) are dropped and made again empty: from here on a search
 *    of it finds nothing by words, and by vector only chunks not yet deleted (the vector search
 *    thread's index follows the deletes);
 * 2. its chunk rows, CHUNK_BATCH at a time, only those there when it began (rowids only grow), so
 *    an ingest meanwhile keeps its own;
 * 3. its documents not indexed since it began, and then, if it holds no other, its tables and its
 *    entry (a document indexed meanwhile belongs to the collection as it goes on).
 *
 * A crash part way leaves the rest to the next deleteCollection of the name.
 */
import type Database from 'better-sqlite3';
import { createLexicalTable, createVectorTable, lexicalTableName, vectorTableName } from './migrations.ts';
import { prepared } from './statements.ts';

/** Chunk rows deleted per transaction: a few tens of ms here, so other writes get the lock between. */
export const CHUNK_BATCH = 2000;

/** Runs `fn` in a write transaction of the store (its write queue); resolves once committed. */
type Write = <T>(fn: () => T) => Promise<T>;

export async function deleteCollectionInSteps(db: Database.Database, write: Write, name: string, chunkBatch = CHUNK_BATCH): Promise<number> {
  const startedAt = Date.now();
  const lastRowid = await write(() => {
    const row = prepared(db, 'SELECT id, embedder_dimension FROM collections WHERE name = ?').get(name) as { id: number; embedder_dimension: number } | undefined;
    if (row !== undefined) {
      db.exec(`DROP TABLE IF EXISTS ${vectorTableName(row.id)}; DROP TABLE IF EXISTS ${lexicalTableName(row.id)}`);
      createVectorTable(db, row.id, row.embedder_dimension);
      createLexicalTable(db, row.id);
    }
    return (prepared(db, 'SELECT max(rowid) AS last FROM chunks').get() as { last: number | null }).last ?? 0;
  });
  const deleteChunks = prepared(db, 'DELETE FROM chunks WHERE rowid IN (SELECT rowid FROM chunks WHERE collection = ? AND rowid <= ? LIMIT ?)');
  while (await write(() => deleteChunks.run(name, lastRowid, chunkBatch).changes) === chunkBatch);
  return write(() => {
    const { changes } = prepared(db, 'DELETE FROM documents WHERE collection = ? AND updated_at <= ?').run(name, startedAt);
    const row = prepared(db, 'SELECT id FROM collections WHERE name = ?').get(name) as { id: number } | undefined;
    if (row !== undefined && prepared(db, 'SELECT 1 FROM documents WHERE collection = ? LIMIT 1').get(name) === undefined) {
      db.exec(`DROP TABLE IF EXISTS ${vectorTableName(row.id)}; DROP TABLE IF EXISTS ${lexicalTableName(row.id)}`);
      prepared(db, 'DELETE FROM collections WHERE id = ?').run(row.id);
    }
    return changes;
  });
}
