/**
 * One search in the embedded store, in any mode: the vector ranking, the lexical ranking, or both
 * fused (rank-fusion.ts). Runs on whichever connection it is given (a search worker's, or
 * the store's own when searches run on the calling thread).
 */
import type Database from 'better-sqlite3';
import type { SearchHit, SearchMode } from '../../schema/domain.ts';
import { fuseRankings, fusionDepth, fusionWeights, withSignal, type RankedHit } from '../rank-fusion.ts';
import type { MetadataFilter } from '../../schema/metadata-filter.ts';
import { searchLexical } from './lexical-search.ts';
import type { LexicalPostings } from './lexical-postings.ts';
import { hasDirection } from '../query-vector.ts';
import type { AnnIndexes } from './ann-index.ts';
import type { CollectionSizes } from './collection-sizes.ts';
import { nearestInView, nearestMatchingInView } from './ann-view.ts';
import { searchFilter, type KeptFilterMatches } from './kept-filter-matches.ts';
import { approximateHits, MAX_K, searchVectors, type VectorSearch } from './vector-search.ts';

/** The approximate index a search thread keeps, and the collection size from which it is used. */
export interface Approximate {
  readonly indexes: AnnIndexes;
  /** Collections with fewer chunks are searched exactly (fast enough, and exact). */
  readonly minChunks: number;
  /** Tells, before a collection is given an index, whether it holds minChunks. */
  readonly sizes: CollectionSizes;
}

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
  /** HYBRID only: the lexical ranking's weight (rank-fusion.ts fusionWeights). */
  readonly lexicalWeight?: number;
}

/** What a thread that runs searches keeps between them: approximate indexes, lexical postings, filters' chunks. */
export interface SearchState {
  readonly approximate?: Approximate | null;
  readonly postings?: LexicalPostings | null;
  readonly filters?: KeptFilterMatches | null;
}

export function runSearch(db: Database.Database, search: SqliteSearch, state: SearchState = {}): SearchHit[] {
  if (!Number.isInteger(search.k) || search.k < 1 || search.k > MAX_K) {
    throw new Error(`k must be an integer from 1 to ${MAX_K}, got ${search.k}`);
  }
  // One read transaction, so one snapshot: the changes the approximate index applies, its matches
  // and the chunk rows they name all come from the same state of the file (see approximateHits).
  return db.transaction(() => rankings(db, search, state.approximate ?? null, state.postings ?? null, state.filters ?? null)).deferred();
}

function rankings(db: Database.Database, search: SqliteSearch, approximate: Approximate | null, postings: LexicalPostings | null, filters: KeptFilterMatches | null): SearchHit[] {
  const filter = search.filter !== undefined && Object.keys(search.filter).length > 0 ? { filter: search.filter } : {};
  const vectorHits = (k: number) => !hasDirection(search.vector!) ? [] : nearestChunks(db, {
    collection: search.collection, collectionRowId: search.collectionRowId, vector: search.vector!, k, ...filter,
  }, search, approximate, filters);
  const lexicalHits = (k: number) => searchLexical(db, {
    collection: search.collection, collectionRowId: search.collectionRowId, collectionCreatedAt: search.collectionCreatedAt, text: search.text!, k, ...filter,
  }, postings, filters);
  switch (search.mode) {
    case 'VECTOR': return withSignal('VECTOR', vectorHits(search.k));
    case 'LEXICAL': return withSignal('LEXICAL', lexicalHits(search.k));
    case 'HYBRID': {
      const depth = hybridDepth(search);
      return fuseHybrid(vectorHits(depth), lexicalHits(depth), search.k, search.lexicalWeight);
    }
  }
}

/** How deep each of HYBRID's two rankings is read. */
export function hybridDepth(search: SqliteSearch): number {
  return Math.min(MAX_K, fusionDepth(search.k));
}

/** HYBRID's answer from its two rankings, read hybridDepth deep (any signals they carry are replaced). */
export function fuseHybrid(vector: readonly RankedHit[], lexical: readonly RankedHit[], k: number, lexicalWeight?: number): SearchHit[] {
  return fuseRankings([{ signal: 'VECTOR', hits: vector }, { signal: 'LEXICAL', hits: lexical }], k, fusionWeights(lexicalWeight));
}

/**
 * The approximate index when it is usable (collection large enough, index caught up), with a
 * metadata filter too (ann-view.ts nearestMatchingInView); else the exact KNN scan, where
 * sqlite-vec ranks only the chunks a filter matches. A collection is given an index only once it
 * holds minChunks; one that has an index keeps it.
 */
function nearestChunks(db: Database.Database, vector: VectorSearch, search: SqliteSearch, approximate: Approximate | null, filters: KeptFilterMatches | null) {
  const identity = { name: search.collection, rowId: search.collectionRowId, createdAt: search.collectionCreatedAt, dimension: search.dimension };
  if (approximate !== null &&
    (approximate.indexes.holds(identity) || approximate.sizes.atLeast(search.collection, approximate.minChunks))) {
    const view = approximate.indexes.view(identity);
    if (view !== null && view.index.size() >= approximate.minChunks && view.index.size() + view.pending.size > 0) {
      const matches = vector.filter === undefined
        ? nearestInView(view, vector.vector, vector.k)
        : nearestMatchingInView(view, vector.vector, vector.k, searchFilter(db, search, filters));
      return approximateHits(db, vector, matches);
    }
  }
  return searchVectors(db, vector);
}
