/** A chunk row as every ranking selects it, and its conversion to a search hit. */
import type { Metadata, SearchHit } from '../../schema/domain.ts';

/** The chunk columns of a hit, from the chunks table aliased `c`; each query adds its `score`. */
export const HIT_COLUMNS = 'c.id, c.document_id, c.text, c.ordinal, c.title, c.heading, c.metadata';

export interface HitRow {
  readonly id: string;
  readonly document_id: string;
  readonly text: string;
  readonly ordinal: number;
  readonly title: string | null;
  readonly heading: string | null;
  readonly metadata: string;
  /** Higher is better. */
  readonly score: number;
}

export function rowToHit(row: HitRow): Omit<SearchHit, 'signals'> {
  return {
    chunkId: row.id,
    documentId: row.document_id,
    text: row.text,
    score: row.score,
    ordinal: row.ordinal,
    title: row.title,
    heading: row.heading,
    metadata: JSON.parse(row.metadata) as Metadata,
  };
}

/** A hit row with its chunk rowid, for rankings scored outside SQL (the approximate index, the FTS index alone). */
export type KeyedHitRow = HitRow & { readonly key: number };

/**
 * Selects the collection's chunks among a JSON array of rowids, as KeyedHitRows whose score the
 * caller fills in; `condition` is a WHERE fragment on `c` (a metadata filter, or `1`).
 */
export function keyedRowsSql(condition: string): string {
  return `SELECT c.rowid AS key, ${HIT_COLUMNS}, 0 AS score FROM chunks c
     WHERE c.rowid IN (SELECT value FROM json_each(?)) AND c.collection = ? AND ${condition}`;
}

/**
 * Like keyedRowsSql, but only each chunk's rowid and id (as raw rows): enough to rank many
 * candidates before the k best are read whole.
 */
export function keyedIdsSql(condition: string): string {
  // The unary + keeps the planner on rowid lookups: with so few columns it would rather scan a
  // covering index on collection, every chunk of the collection.
  return `SELECT c.rowid AS key, c.id FROM chunks c
     WHERE c.rowid IN (SELECT value FROM json_each(?)) AND +c.collection = ? AND ${condition}`;
}

/** The rows scored from `scores` (by rowid), best first, ties by chunk id as the SQL rankings break them. */
export function rankKeyedRows(rows: readonly KeyedHitRow[], scores: ReadonlyMap<number, number>): Omit<SearchHit, 'signals'>[] {
  return rows
    .map((row) => rowToHit({ ...row, score: scores.get(row.key)! }))
    .sort((a, b) => b.score - a.score || (a.chunkId < b.chunkId ? -1 : a.chunkId > b.chunkId ? 1 : 0));
}
