/**
 * The chunks a metadata filter matches in one collection. A chunk carries its document's metadata
 * (index-document.ts writes both in one transaction, and nothing else writes either), so the
 * filter is evaluated once per document and the chunks are found through their document, instead
 * of reading every chunk's metadata: at 100k chunks in documents of 100, a filtered exact search
 * had spent most of its 200–290 ms evaluating the filter on every chunk.
 */
import type Database from 'better-sqlite3';
import type { MetadataFilter } from '../../schema/metadata-filter.ts';
import { metadataFilterSql, type SqlCondition } from './metadata-filter.ts';
import { prepared } from './statements.ts';

/**
 * A query for the rowids of the collection's chunks whose document the filter matches, for
 * `rowid IN (…)`; its parameters are the collection and then the condition's.
 */
export function matchingChunksSql(condition: SqlCondition): string {
  // CROSS JOIN keeps the documents as the outer loop: left to itself the planner walked the
  // chunks and read each one's document, evaluating the filter once per chunk again (66 against
  // 3 ms for 10k of 100k chunks).
  return `SELECT c.rowid FROM documents d CROSS JOIN chunks c ON c.collection = d.collection AND c.document_id = d.id
          WHERE d.collection = ? AND ${condition.sql}`;
}

/**
 * How many more candidates than a filter's share of the collection a filtered ranking reads
 * before it keeps the matching ones: at a share of 0.9 and a depth of 50, reading 56 left fewer
 * than 50 matching in about half the searches.
 */
export const FILTER_MARGIN = 1.5;

/**
 * How much deeper a filtered ranking reads again when too few of its candidates matched (the
 * query's neighbours sit mostly outside the filter), before it falls back to ranking every
 * matching chunk, by its vector (~0.5 µs each, 50 ms for 100k) or through FTS5's passes: at 20k,
 * a one-in-ten filter's lexical p95 went from 13.7–15.8 to 8.3 ms (docs/search.md).
 */
export const FILTER_DEEPER = 8;

/** What a search with a filter asks of the chunks it matches. */
export interface FilteredChunks {
  /** How many chunks of the collection the filter matches. */
  readonly count: number;
  /** Those of `keys` (chunk rowids) whose chunk is in the collection and matched by the filter. */
  matching(keys: readonly bigint[]): ReadonlySet<bigint>;
  /** Every chunk rowid the filter matches. */
  all(): bigint[];
}

export function filteredChunks(db: Database.Database, collection: string, filter: MetadataFilter): FilteredChunks {
  const byDocument = metadataFilterSql(filter, 'd');
  const byChunk = metadataFilterSql(filter, 'c');
  let count: number | undefined;
  return {
    // Read when first asked: it evaluates the filter on every document of the collection, which a
    // search answered from a kept set (kept-filter-matches.ts) never needs.
    get count() {
      return count ??= (prepared(db, `SELECT coalesce(sum(d.chunk_count), 0) AS count FROM documents d WHERE d.collection = ? AND ${byDocument.sql}`)
        .get(collection, ...byDocument.params) as { count: number }).count;
    },
    matching(keys) {
      if (keys.length === 0) return new Set();
      // A few hundred candidates: their own metadata is read, which is the document's.
      const rows = prepared(db, `SELECT c.rowid FROM chunks c WHERE c.rowid IN (SELECT value FROM json_each(?)) AND c.collection = ? AND ${byChunk.sql}`)
        .pluck().all(JSON.stringify(keys.map(Number)), collection, ...byChunk.params) as number[];
      return new Set(rows.map(BigInt));
    },
    all() {
      return (prepared(db, matchingChunksSql(byDocument)).pluck().all(collection, ...byDocument.params) as number[]).map(BigInt);
    },
  };
}
