/**
 * One search in the embedded store, in any mode: the vector ranking, the lexical ranking, or both
 * fused (rank-fusion.ts). Runs on whichever connection it is given (a search worker's, or
 * the store's own when searches run on the calling thread).
 */
import type Database from 'better-sqlite3';
import type { SearchHit, SearchMode } from '../../schema/domain.ts';
import { fuseRankings, fusionDepth, withSignal } from '../rank-fusion.ts';
import type { MetadataFilter } from '../../schema/metadata-filter.ts';
import { searchLexical } from './lexical-search.ts';
import type { AnnIndexes } from './ann-index.ts';
import { MAX_K, rescoreCandidates, searchVectors, type VectorSearch } from './vector-search.ts';

/** The approximate index a search thread keeps, and the collection size from which it is used. */
export interface Approximate {
  readonly indexes: AnnIndexes;
  /** Collections with fewer chunks are searched exactly (fast enough, and exact). */
  readonly minChunks: number;
}

/**
 * Candidates taken from the approximate index and re-scored exactly: at least this many, or 2k
 * (see ann-index.ts). Re-scoring only the first 50 in the index's int8 order measured recall@10
 * 0.945 at 100k instead of 0.951, so all are re-scored.
 */
const ANN_CANDIDATES = 400;

/** A checked search in a collection whose vector table is known. */
export interface SqliteSearch {
  readonly collection: string;
  readonly collectionRowId: number;
  /** With the row id, tells a collection from an earlier one of the same name. */
  readonly collectionCreatedAt: number;
  readonly dimension: number;
  readonly mode: SearchMode;
  /** Required unless mode is LEXICAL. */
  readonly vector: Float32Array | null;
  /** Required unless mode is VECTOR. */
  readonly text: string | null;
  readonly k: number;
  readonly filter?: MetadataFilter;
}

export function runSearch(db: Database.Database, search: SqliteSearch, approximate: Approximate | null = null): SearchHit[] {
  if (!Number.isInteger(search.k) || search.k < 1 || search.k > MAX_K) {
    throw new Error(`k must be an integer from 1 to ${MAX_K}, got ${search.k}`);
  }
  const filter = search.filter !== undefined && Object.keys(search.filter).length > 0 ? { filter: search.filter } : {};
  const vectorHits = (k: number) => nearestChunks(db, {
    collection: search.collection, collectionRowId: search.collectionRowId, vector: search.vector!, k, ...filter,
  }, search, approximate);
  const lexicalHits = (k: number) => searchLexical(db, { collection: search.collection, text: search.text!, k, ...filter });
  switch (search.mode) {
    case 'VECTOR': return withSignal('VECTOR', vectorHits(search.k));
    case 'LEXICAL': return withSignal('LEXICAL', lexicalHits(search.k));
    case 'HYBRID': {
      // Each ranking's raw hits: fuseRankings marks the signals once, for the hits it keeps.
      const depth = Math.min(MAX_K, fusionDepth(search.k));
      return fuseRankings([{ signal: 'VECTOR', hits: vectorHits(depth) }, { signal: 'LEXICAL', hits: lexicalHits(depth) }], search.k);
    }
  }
}

/**
 * The approximate index when it is usable (no metadata filter, collection large enough, index
 * caught up), else the exact KNN scan. A filter always takes the exact path, where sqlite-vec
 * ranks only the matching chunks.
 */
function nearestChunks(db: Database.Database, vector: VectorSearch, search: SqliteSearch, approximate: Approximate | null) {
  if (approximate !== null && vector.filter === undefined) {
    const index = approximate.indexes.ready({
      name: search.collection, rowId: search.collectionRowId, createdAt: search.collectionCreatedAt, dimension: search.dimension,
    });
    if (index !== null && index.size() >= approximate.minChunks && index.size() > 0) {
      const candidates = index.search(vector.vector, Math.min(index.size(), Math.max(ANN_CANDIDATES, 2 * vector.k)), 1);
      return rescoreCandidates(db, vector, Array.from(candidates.keys));
    }
  }
  return searchVectors(db, vector);
}
