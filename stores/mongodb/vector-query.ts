/**
 * The `$vectorSearch` stage the store sends, and the choice between approximate (ANN) and exact
 * (ENN) search. Atlas recommends ENN where few documents can match: collections or filters of
 * under 10,000 candidates, where scanning them all is fast and recall is perfect
 * (https://www.mongodb.com/docs/atlas/atlas-vector-search/vector-search-stage/, "exact").
 */
import { MongoServerError } from 'mongodb';
import type { Collection, Document } from 'mongodb';
import type { MetadataFilter } from '../../schema/metadata-filter.ts';
import { vectorIndexName, vectorPath } from './vector-index.ts';

/** Atlas limits: numCandidates and limit at most 10000. */
export const MAX_NUM_CANDIDATES = 10_000;
/** At most this many candidates: search exactly (Atlas's own threshold). */
export const EXACT_MAX_CANDIDATES = 10_000;
/** Counting the candidates may take this long before the search goes approximate instead. */
export const CANDIDATE_COUNT_MAX_MS = 100;

/**
 * The candidates of a search as a plain query: the collection and the metadata conditions, each
 * `null` matching a null or missing field as MongoDB equality does. Unknown paths need no special
 * case here: a missing field equals null and nothing else.
 */
export function candidateQuery(collection: string, filter: MetadataFilter | undefined): Document {
  const query: Document = { collection };
  for (const [key, value] of Object.entries(filter ?? {})) query[`metadata.${key}`] = value;
  return query;
}

/**
 * True when at most EXACT_MAX_CANDIDATES chunks can match: a count that stops one past the
 * threshold, cut off after CANDIDATE_COUNT_MAX_MS (a slow count means many candidates: ANN).
 */
export async function preferExact(chunks: Collection<Document>, collection: string, filter: MetadataFilter | undefined): Promise<boolean> {
  try {
    const count = await chunks.countDocuments(candidateQuery(collection, filter), {
      limit: EXACT_MAX_CANDIDATES + 1, maxTimeMS: CANDIDATE_COUNT_MAX_MS,
    });
    return count <= EXACT_MAX_CANDIDATES;
  } catch (error) {
    if (error instanceof MongoServerError && (error.code === 50 || error.codeName === 'MaxTimeMSExpired')) return false;
    throw error;
  }
}

/** Parameters of one `$vectorSearch` stage. */
export interface VectorStageInput {
  readonly dimension: number;
  readonly vector: Float32Array;
  readonly k: number;
  /** The `$vectorSearch` filter (metadata-filter.ts). */
  readonly filter: Document;
  /** ENN over every candidate instead of ANN with numCandidates. */
  readonly exact: boolean;
  /** numCandidates = this × k for ANN, at most MAX_NUM_CANDIDATES. */
  readonly numCandidatesFactor: number;
}

/** The `$vectorSearch` stage: ENN omits numCandidates, which Atlas refuses beside `exact: true`. */
export function vectorSearchStage(input: VectorStageInput): Document {
  const stage: Document = {
    index: vectorIndexName(input.dimension),
    path: vectorPath(input.dimension),
    queryVector: Array.from(input.vector),
    limit: input.k,
    filter: input.filter,
  };
  if (input.exact) stage.exact = true;
  else stage.numCandidates = Math.min(MAX_NUM_CANDIDATES, Math.max(input.k, input.k * input.numCandidatesFactor));
  return { $vectorSearch: stage };
}
