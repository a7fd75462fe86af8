/**
 * LEXICAL and HYBRID search on Atlas. LEXICAL is a `$search` (Atlas Search, BM25 over the
 * stemmed words of text, heading and title) with the collection and metadata filter as
 * `compound.filter` clauses, so they narrow the matches before they are ranked and cut. HYBRID is
 * `$rankFusion` of that `$search` and the `$vectorSearch` the VECTOR mode sends: reciprocal rank
 * fusion (1 / (60 + rank), summed, weights 1) computed by the server, with `scoreDetails` giving
 * each hit's rank and score per input pipeline.
 *
 * `$rankFusion` is documented for MongoDB 8.0+ on Atlas and generally available from 8.1; a server
 * before 8.0 is refused here naming its version, and an 8.0 server that refuses the stage
 * (unknown stage, or the feature not enabled) gets the same error.
 * https://www.mongodb.com/docs/manual/reference/operator/aggregation/rankFusion/
 * https://www.mongodb.com/docs/atlas/atlas-vector-search/hybrid-search/
 * https://www.mongodb.com/docs/atlas/atlas-search/compound/
 */
import { MongoServerError } from 'mongodb';
import type { Collection, Document } from 'mongodb';
import type { Metadata, SearchHit } from '../../schema/domain.ts';
import type { MetadataFilter } from '../../schema/metadata-filter.ts';
import { UnsupportedSearchModeError } from '../store.ts';
import type { VectorIndexes } from './index-sync.ts';
import type { CollectionDocument } from './index-document.ts';
import { filterPathsUsed, vectorSearchFilter } from './metadata-filter.ts';
import { TEXT_INDEX, TEXT_PATHS } from './text-index.ts';
import type { TextIndex } from './text-index.ts';
import { MAX_NUM_CANDIDATES, preferExact, vectorSearchStage } from './vector-query.ts';

/** The modes served here; VECTOR stays in mongo-store.ts. */
export type TextSearchMode = 'LEXICAL' | 'HYBRID';
export type RankingSignal = 'VECTOR' | 'LEXICAL';

/** Where one signal ranked a hit (rank 1 is its best), with that signal's own score. */
export interface RankedSignal {
  readonly signal: RankingSignal;
  readonly rank: number;
  readonly score: number;
}

/** A search hit with the signals that found it (the hit shape of the search modes). */
export interface RankedHit extends SearchHit {
  readonly signals: readonly RankedSignal[];
}

/** `$rankFusion` input pipeline names; they name the signal in `scoreDetails`. */
const PIPELINES: Record<RankingSignal, string> = { VECTOR: 'vector', LEXICAL: 'lexical' };
/** Before this version no server has `$rankFusion`. */
const RANK_FUSION_SINCE: readonly [number, number] = [8, 0];

/** Thrown when HYBRID is asked of a server without `$rankFusion`; retrying cannot help. */
export class RankFusionUnsupportedError extends UnsupportedSearchModeError {
  readonly nonRetryable = true;

  constructor(readonly serverVersion: string | null, cause?: unknown) {
    super(
      'MongoDB', 'HYBRID',
      `search mode HYBRID needs $rankFusion, MongoDB 8.1 or later (8.0 where Atlas enabled it): this server runs MongoDB ` +
      `${serverVersion ?? 'of an unknown version'}. Upgrade the deployment, or search with mode VECTOR or LEXICAL`,
      cause === undefined ? undefined : { cause },
    );
    this.name = 'RankFusionUnsupportedError';
  }
}

/** Refuses HYBRID at once on a server too old to have `$rankFusion`. */
export function assertRankFusion(serverVersion: string | null): void {
  const match = /^(\d+)\.(\d+)/.exec(serverVersion ?? '');
  if (match === null) return; // unknown: let the server answer
  const [major, minor] = [Number(match[1]), Number(match[2])];
  if (major < RANK_FUSION_SINCE[0] || (major === RANK_FUSION_SINCE[0] && minor < RANK_FUSION_SINCE[1])) {
    throw new RankFusionUnsupportedError(serverVersion);
  }
}

/** The server's answers to a `$rankFusion` it cannot run: unknown stage, QueryFeatureNotAllowed. */
export function isRankFusionRefusal(error: unknown): boolean {
  return error instanceof MongoServerError &&
    (error.code === 40324 || error.code === 224 || /\$rankFusion/.test(error.message) && /unrecognized|not allowed|not enabled/i.test(error.message));
}

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

const HIT_FIELDS = { _id: 0, chunkId: 1, documentId: 1, text: 1, ordinal: 1, title: 1, metadata: 1 };

/** LEXICAL: the `$search` cut to k, scored by relevance. */
export function lexicalPipeline(search: Document, k: number): Document[] {
  return [search, { $limit: k }, { $project: { ...HIT_FIELDS, score: { $meta: 'searchScore' } } }];
}

/**
 * HYBRID: both rankings read `depth` deep (a hit found by both can rise above either list's
 * top k), fused by `$rankFusion`, cut to k. Input pipelines may not reshape documents, so the
 * projection follows the fusion.
 */
export function hybridPipeline(vector: Document, search: Document, depth: number, k: number): Document[] {
  return [
    {
      $rankFusion: {
        input: { pipelines: { [PIPELINES.VECTOR]: [vector], [PIPELINES.LEXICAL]: [search, { $limit: depth }] } },
        combination: { weights: { [PIPELINES.VECTOR]: 1, [PIPELINES.LEXICAL]: 1 } },
        scoreDetails: true,
      },
    },
    { $limit: k },
    { $project: { ...HIT_FIELDS, score: { $meta: 'score' }, scoreDetails: { $meta: 'scoreDetails' } } },
  ];
}

/** A row of either pipeline. */
export interface HitRow {
  readonly chunkId: string;
  readonly documentId: string;
  readonly text: string;
  readonly ordinal: number;
  readonly title: string | null;
  readonly metadata: Metadata;
  readonly score: number;
  readonly scoreDetails?: { readonly details?: readonly Document[] };
}

/** Atlas reports cosine as (1 + cos) / 2; hits carry cosine itself, as in VECTOR mode. */
const cosineOf = (vectorSearchScore: number) => 2 * vectorSearchScore - 1;

/** Rows as hits: LEXICAL hits carry their rank; HYBRID hits the rank and score per pipeline that found them. */
export function rankedHits(mode: TextSearchMode, rows: readonly HitRow[]): RankedHit[] {
  return rows.map((row, index) => {
    const { scoreDetails, ...hit } = row;
    if (mode === 'LEXICAL') return { ...hit, signals: [{ signal: 'LEXICAL' as const, rank: index + 1, score: row.score }] };
    const signals: RankedSignal[] = [];
    for (const signal of ['VECTOR', 'LEXICAL'] as const) {
      const detail = scoreDetails?.details?.find((entry) => entry.inputPipelineName === PIPELINES[signal]);
      // A pipeline that did not find the document reports rank 0.
      if (detail === undefined || typeof detail.rank !== 'number' || detail.rank < 1) continue;
      const value = typeof detail.value === 'number' ? detail.value : Number.NaN;
      signals.push({ signal, rank: detail.rank, score: signal === 'VECTOR' ? cosineOf(value) : value });
    }
    return { ...hit, signals };
  });
}

/** What a LEXICAL or HYBRID search needs from the store. */
export interface TextSearchContext {
  readonly chunks: Collection<Document>;
  readonly vectorIndexes: VectorIndexes;
  readonly textIndex: TextIndex;
  readonly serverVersion: string | null;
  readonly numCandidatesFactor: number;
}

/** One LEXICAL or HYBRID search; the caller has checked k, the mode's inputs and the embedder. */
export interface TextSearchRequest {
  readonly mode: TextSearchMode;
  readonly collection: string;
  readonly registered: CollectionDocument;
  readonly text: string;
  /** The query embedding; required for HYBRID. */
  readonly vector: Float32Array | null;
  readonly k: number;
  /** How deep HYBRID reads each ranking before fusing. */
  readonly depth: number;
  readonly filter?: MetadataFilter;
}

export async function searchByText(context: TextSearchContext, request: TextSearchRequest): Promise<RankedHit[]> {
  const { registered, collection, filter, mode } = request;
  if (mode === 'HYBRID') assertRankFusion(context.serverVersion);
  const known = new Set(registered.filterPaths ?? []);
  const vectorFilter = vectorSearchFilter(collection, filter, known); // validates the filter for both rankings
  if (vectorFilter === 'no-match') return [];
  const search = searchStage(request.text, searchFilterClauses(collection, filter, known));
  await context.textIndex.ready();
  if (mode === 'LEXICAL') {
    return rankedHits(mode, await context.chunks.aggregate<HitRow>(lexicalPipeline(search, request.k)).toArray());
  }
  if (request.vector === null) throw new Error('vector: required in HYBRID mode');
  const depth = Math.min(MAX_NUM_CANDIDATES, Math.max(request.k, request.depth));
  await context.vectorIndexes.ready(registered.dimension, filterPathsUsed(filter, known));
  const vector = vectorSearchStage({
    dimension: registered.dimension, vector: request.vector, k: depth, filter: vectorFilter,
    exact: await preferExact(context.chunks, collection, filter), numCandidatesFactor: context.numCandidatesFactor,
  });
  try {
    return rankedHits(mode, await context.chunks.aggregate<HitRow>(hybridPipeline(vector, search, depth, request.k)).toArray());
  } catch (error) {
    if (isRankFusionRefusal(error)) throw new RankFusionUnsupportedError(context.serverVersion, error);
    throw error;
  }
}
