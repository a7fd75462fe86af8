/**
 * One search in the embedded store, in any mode: the vector ranking, the lexical ranking, or both
 * fused by reciprocal rank fusion. Runs on whichever connection it is given (a search worker's, or
 * the store's own when searches run on the calling thread).
 */
import type Database from 'better-sqlite3';
import type { SearchHit, SearchMode } from '../../schema/domain.ts';
import { fuseRankings, fusionDepth, withSignal } from '../rank-fusion.ts';
import type { MetadataFilter } from '../store.ts';
import { searchLexical } from './lexical-search.ts';
import { MAX_K, searchVectors } from './vector-search.ts';

/** A checked search in a collection whose vector table is known. */
export interface SqliteSearch {
  readonly collection: string;
  readonly collectionRowId: number;
  readonly mode: SearchMode;
  /** Required unless mode is LEXICAL. */
  readonly vector: Float32Array | null;
  /** Required unless mode is VECTOR. */
  readonly text: string | null;
  readonly k: number;
  readonly filter?: MetadataFilter;
}

export function runSearch(db: Database.Database, search: SqliteSearch): SearchHit[] {
  if (!Number.isInteger(search.k) || search.k < 1 || search.k > MAX_K) {
    throw new Error(`k must be an integer from 1 to ${MAX_K}, got ${search.k}`);
  }
  const filter = search.filter !== undefined && Object.keys(search.filter).length > 0 ? { filter: search.filter } : {};
  const vectorHits = (k: number) => withSignal('VECTOR', searchVectors(db, {
    collection: search.collection, collectionRowId: search.collectionRowId, vector: search.vector!, k, ...filter,
  }));
  const lexicalHits = (k: number) => withSignal('LEXICAL', searchLexical(db, { collection: search.collection, text: search.text!, k, ...filter }));
  switch (search.mode) {
    case 'VECTOR': return vectorHits(search.k);
    case 'LEXICAL': return lexicalHits(search.k);
    case 'HYBRID': {
      const depth = Math.min(MAX_K, fusionDepth(search.k));
      return fuseRankings([{ signal: 'VECTOR', hits: vectorHits(depth) }, { signal: 'LEXICAL', hits: lexicalHits(depth) }], search.k);
    }
  }
}
