/**
 * Search on Atlas in every mode. VECTOR is a `$vectorSearch`; LEXICAL a `$search` (Atlas Search,
 * BM25 over the stemmed words of text, heading and title) with the collection and metadata filter
 * as `compound.filter` clauses, so they narrow the matches before they are ranked and cut. HYBRID
 * runs both, each read `depth` deep, side by side, and fuses them here with the embedded store's
 * own fusion (stores/rank-fusion.ts: weighted min-max scaled scores), so both stores rank alike.
 *
 * Why not `$rankFusion` (or `$scoreFusion`) on the server: they fuse by other rules (RRF with a
 * fixed constant; `$scoreFusion` only from MongoDB 8.2), and the stores would then disagree on
 * the same rankings. Two queries need nothing newer than `$search` and `$vectorSearch`.
 * https://www.mongodb.com/docs/atlas/atlas-search/compound/
 * https://www.mongodb.com/docs/atlas/atlas-vector-search/vector-search-stage/
 */
import type { Collection, Document } from 'mongodb';
import type { Metadata, SearchHit, SearchMode } from '../../schema/domain.ts';
import type { MetadataFilter } from '../../schema/metadata-filter.ts';
import { fuseRankings, fusionDepth, fusionWeights, withSignal, type RankedHit } from '../rank-fusion.ts';
import { hasDirection } from '../query-vector.ts';
import type { VectorIndexes } from './index-sync.ts';
import type { CollectionDocument } from './index-document.ts';
import { filterPathsUsed, vectorSearchFilter } from './metadata-filter.ts';
import { TEXT_INDEX, TEXT_PATHS } from './text-index.ts';
import type { TextIndex } from './text-index.ts';
import { MAX_NUM_CANDIDATES, preferExact, vectorSearchStage } from './vector-query.ts';

/**
 * The metadata filter as `$search` `compound.filter` clauses, with the same semantics as the
 * `$vectorSearch` filter (metadata-filter.ts, which validates it first): `equals` compares JSON
 * types strictly (strings are indexed as tokens), and null matches null or a missing field.
 */
export function searchFilterClauses(collection: string, filter: MetadataFilter | undefined, knownPaths: ReadonlySet<string>): Document[] {
  const clauses: Document[] = [{ equals: { path: 'collection', value: collection } }];
  for (const [key, value] of Object.entries(filter ?? {})) {
    const path = `metadata.${key}`;
    if (!knownPaths.has(path)) continue; // null over a path no document has: every document matches
    clauses.push(value === null
      ? {
        compound: {
          should: [{ equals: { path, value: null } }, { compound: { mustNot: [{ exists: { path } }] } }],
          minimumShouldMatch: 1,
        },
      }
      : { equals: { path, value } });
  }
  return clauses;
}

/** The `$search` stage: any of the query's words in text, heading or title, within the filter. */
export function searchStage(text: string, filterClauses: Document[]): Document {
  return {
    $search: {
      index: TEXT_INDEX,
      compound: { must: [{ text: { query: text, path: [...TEXT_PATHS] } }], filter: filterClauses },
    },
  };
}

const HIT_FIELDS = { _id: 0, chunkId: 1, documentId: 1, text: 1, ordinal: 1, title: 1, heading: 1, metadata: 1 };

/** The lexical ranking: the `$search` cut to k, scored by relevance. */
export function lexicalPipeline(search: Document, k: number): Document[] {
  return [search, { $limit: k }, { $project: { ...HIT_FIELDS, score: { $meta: 'searchScore' } } }];
}

/** The vector ranking: the `$vectorSearch` (which cuts to its own limit), scored by similarity. */
export function vectorPipeline(vector: Document): Document[] {
  return [vector, { $project: { ...HIT_FIELDS, score: { $meta: 'vectorSearchScore' } } }];
}

/** A row of either pipeline. */
export interface HitRow {
  readonly chunkId: string;
  readonly documentId: string;
  readonly text: string;
  readonly ordinal: number;
  readonly title: string | null;
  /** Absent from a projection of a field never set: read as null (rowToHit). */
  readonly heading?: string | null;
  readonly metadata: Metadata;
  readonly score: number;
}

/** A row as a hit: the fields a search answers with, heading null where the chunk has none. */
const rowToHit = (row: HitRow, score = row.score): RankedHit => ({
  chunkId: row.chunkId, documentId: row.documentId, text: row.text, ordinal: row.ordinal,
  title: row.title, heading: row.heading ?? null, metadata: row.metadata, score,
});

/** Atlas reports cosine as (1 + cos) / 2 to keep scores in 0..1; hits carry cosine itself. */
export const cosineOf = (vectorSearchScore: number) => 2 * vectorSearchScore - 1;

/** What a search needs from the store. */
export interface SearchContext {
  readonly chunks: Collection<Document>;
  readonly vectorIndexes: VectorIndexes;
  readonly textIndex: TextIndex;
  readonly numCandidatesFactor: number;
}

/** One search; the caller has checked k, the mode's inputs and the embedder. */
export interface SearchRequest {
  readonly mode: SearchMode;
  readonly collection: string;
  readonly registered: CollectionDocument;
  /** Required unless mode is VECTOR. */
  readonly text: string | null;
  /** The query embedding; required unless mode is LEXICAL. */
  readonly vector: Float32Array | null;
  readonly k: number;
  readonly filter?: MetadataFilter;
  /** HYBRID only: the lexical ranking's weight (rank-fusion.ts fusionWeights). */
  readonly lexicalWeight?: number;
}

export async function searchChunks(context: SearchContext, request: SearchRequest): Promise<SearchHit[]> {
  const { registered, collection, filter, mode } = request;
  const known = new Set(registered.filterPaths ?? []);
  const vectorFilter = vectorSearchFilter(collection, filter, known); // validates the filter for both rankings
  if (vectorFilter === 'no-match') return [];

  const vectorHits = async (k: number): Promise<RankedHit[]> => {
    if (request.vector === null) throw new Error(`vector: required in ${mode} mode`);
    if (!hasDirection(request.vector)) return [];
    // Wait only if the filter names a path the served definition lacks; a rebuild otherwise runs unnoticed.
    await context.vectorIndexes.ready(registered.dimension, filterPathsUsed(filter, known));
    const stage = vectorSearchStage({
      dimension: registered.dimension, vector: request.vector, k, filter: vectorFilter,
      exact: await preferExact(context.chunks, collection, filter), numCandidatesFactor: context.numCandidatesFactor,
    });
    const rows = await context.chunks.aggregate<HitRow>(vectorPipeline(stage)).toArray();
    return rows.map((row) => rowToHit(row, cosineOf(row.score)));
  };
  const lexicalHits = async (k: number): Promise<RankedHit[]> => {
    if (request.text === null) throw new Error(`text: required in ${mode} mode`);
    await context.textIndex.ready();
    const search = searchStage(request.text, searchFilterClauses(collection, filter, known));
    return (await context.chunks.aggregate<HitRow>(lexicalPipeline(search, k)).toArray()).map((row) => rowToHit(row));
  };

  switch (mode) {
    case 'VECTOR': return withSignal('VECTOR', await vectorHits(request.k));
    case 'LEXICAL': return withSignal('LEXICAL', await lexicalHits(request.k));
    case 'HYBRID': {
      const depth = Math.min(MAX_NUM_CANDIDATES, fusionDepth(request.k));
      const [vector, lexical] = await Promise.all([vectorHits(depth), lexicalHits(depth)]);
      return fuseRankings([{ signal: 'VECTOR', hits: vector }, { signal: 'LEXICAL', hits: lexical }], request.k, fusionWeights(request.lexicalWeight));
    }
  }
}
