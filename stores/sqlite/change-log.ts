/**
 * Pruning the `chunk_changes` sequence (migrations 6 and 7), which every chunk write and delete
 * appends to and which each gateway's approximate index follows (ann-index.ts). Without pruning
 * it grows by every change ever made.
 *
 * Rule: keep the latest `retain` changes; remove older ones in batches, inside the writer's own
 * transaction, and record per collection the highest sequence number removed
 * (`chunk_changes_pruned`). A follower whose last applied change is below that mark may have
 * missed a removed change: it rebuilds its graph from the chunks table instead of replaying.
 * Followers need not register anywhere (a gateway that stopped for good never holds pruning up);
 * one that was away for more than `retain` changes pays a rebuild, as a new gateway would.
 */
import type Database from 'better-sqlite3';
import { prepared } from './statements.ts';

/**
 * Changes kept by default: ten times the interval at which a follower saves its graph
 * (ann-index.ts), so a gateway that restarts from its last save replays instead of rebuilding.
 */
export const CHANGE_RETENTION = 200_000;

/** Prunes when the sequence holds this much more than `retain`, so pruning runs in batches, not per write. */
function slack(retain: number): number {
  return Math.max(1, Math.ceil(retain / 10));
}

/** Removes the changes older than the latest `retain`, in the caller's write transaction; returns how many. */
export function pruneChanges(db: Database.Database, retain: number): number {
  // Two subqueries, not min() and max() in one SELECT: SQLite answers a lone min() or max() from
  // the key, but both together scan every row (60% of the index actor's time at 100k changes).
  const { first, last } = prepared(db, 
    'SELECT (SELECT min(seq) FROM chunk_changes) AS first, (SELECT max(seq) FROM chunk_changes) AS last',
  ).get() as
    { first: number | null; last: number | null };
  if (first === null || last === null || last - first + 1 <= retain + slack(retain)) return 0;
  const through = last - retain;
  prepared(db, 
    `INSERT INTO chunk_changes_pruned (collection, through_seq)
     SELECT collection, max(seq) FROM chunk_changes WHERE seq <= ? GROUP BY collection
     ON CONFLICT (collection) DO UPDATE SET through_seq = max(through_seq, excluded.through_seq)`,
  ).run(through);
  return prepared(db, 'DELETE FROM chunk_changes WHERE seq <= ?').run(through).changes;
}

/** The highest change of `collection` pruned from the sequence; 0 if none was. */
export function prunedThrough(db: Database.Database, collection: string): number {
  return (prepared(db, 'SELECT through_seq AS seq FROM chunk_changes_pruned WHERE collection = ?').get(collection) as { seq: number } | undefined)?.seq ?? 0;
}

/**
 * The collection's last change: its latest in the sequence or, once pruning has removed them all
 * (writes into other collections do that), the last one pruned. Not 0 then: what a follower kept
 * would look pruned past, and be read afresh for as long as it stayed so.
 */
export function lastChange(db: Database.Database, collection: string): number {
  const latest = (prepared(db, 'SELECT max(seq) AS seq FROM chunk_changes WHERE collection = ?').get(collection) as { seq: number | null }).seq;
  return latest ?? prunedThrough(db, collection);
}
