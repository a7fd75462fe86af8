/**
 * A collection's approximate index as a search sees it: the index (an exact int8 scan while the
 * collection is small, a graph past that: ann-index.ts) as far as the background follower has
 * brought it, and the changes it has not applied yet, read in the search's own snapshot. The
 * search ranks the index's matches and the changed chunks together instead of inserting those
 * chunks first: a graph insert costs ~0.9 ms at 100k distinct texts, so catching up 500 changes
 * inside a search would hold it ~450 ms, while scoring them directly takes well under a
 * millisecond. Every candidate, the index's and the pending ones alike, is scored exactly with its
 * float32 vector.
 */
import { FILTER_DEEPER, FILTER_MARGIN, type FilteredChunks } from './filtered-chunks.ts';
import { sparseQuery, type SparseQuery } from './vector-columns.ts';
import type { IndexMatches } from './vector-search.ts';

/** What AnnIndexes.view returns: the index, and what changed since it was last brought up to date. */
export interface AnnView {
  /** Finds candidates by approximate (int8) distances. */
  readonly index: {
    size(): number;
    search(vector: Float32Array, k: number, threads: number): { keys: BigUint64Array; distances: Float32Array };
  };
  /** The float32 vector of each key in the index, which scores a candidate exactly. */
  readonly vectors: { get(key: bigint): Float32Array | undefined };
  /**
   * The same keys' vectors as int8 columns (vector-columns.ts), where a query with few non-zero
   * components finds its candidates exactly instead of in the index; null while they are being
   * made (the first call starts that).
   */
  readonly columns: () => { search(query: SparseQuery, wanted: number): { keys: BigUint64Array } } | null;
  /** The most non-zero components a query may have to be scored by the columns. */
  readonly columnsUpTo: number;
  /**
   * Every chunk rowid changed since the index's last applied change, with its vector now, or null
   * when it is gone: the index's own entry for such a key is stale and is never used.
   */
  readonly pending: ReadonlyMap<bigint, Float32Array | null>;
}

/**
 * Candidates scored again exactly per hit asked for (at least RESCORE_MIN): int8 distances order
 * near neighbours roughly, and the exact scores put the best of a wider set in order
 * (`npm run bench:ann`, k = 10 at 100k: the scan's best 20 hold every true top 10; a graph finds
 * no more past its best 50).
 */
const RESCORE_FACTOR = 5;
const RESCORE_MIN = 50;

/** How many of the index's best a search for k hits scores again exactly. */
export function rescoreDepth(k: number): number {
  return Math.max(RESCORE_MIN, RESCORE_FACTOR * k);
}

/**
 * The columns rank every vector exactly over its int8 codes, so only the codes' rounding sets
 * their order apart from float32's, and far fewer of their best need scoring again: twice k held
 * every exact top 10 and top 50 of the bench's titles at 100k and at 1M distinct texts (as one
 * and a half times k did at 100k; k alone missed 2%). HYBRID reads its vector ranking 50 deep,
 * where scoring 250 again had cost 0.6 ms of its 2.3 at 100k. How far the rounding moves a
 * neighbour down depends on how many vectors score near it, not on k, so a small k keeps a margin
 * of COLUMNS_RESCORE_MARGIN.
 */
const COLUMNS_RESCORE_FACTOR = 2;
const COLUMNS_RESCORE_MARGIN = 10;

/** How many of the columns' best a search for k hits scores again exactly. */
export function columnsRescoreDepth(k: number): number {
  return Math.max(COLUMNS_RESCORE_FACTOR * k, k + COLUMNS_RESCORE_MARGIN);
}

/** The k nearest chunks over the index and its pending changes, best first, with exact cosine distances. */
export function nearestInView(view: AnnView, query: Float32Array, k: number): IndexMatches {
  const candidates = withVectors(view, indexCandidates(view, query, k)!.keys);
  for (const [key, vector] of view.pending) {
    if (vector !== null) candidates.push({ key, vector });
  }
  return nearestOf(query, k, candidates);
}

/**
 * The k nearest chunks the filter matches. The index is asked for as many more candidates as the
 * filter is expected to drop (the depth an unfiltered search scores, over the filter's share of
 * the collection, with a margin), and only the matching ones are scored, beside the matching
 * pending changes. Where fewer than the depth match (a filter that favours chunks far from the
 * query), it is asked again FILTER_DEEPER times deeper. Where it would be asked for more
 * candidates than the filter matches chunks, every matching chunk is scored exactly instead, by
 * the vectors the view holds in memory.
 */
export function nearestMatchingInView(view: AnnView, query: Float32Array, k: number, filter: FilteredChunks): IndexMatches {
  if (filter.count === 0) return nearestOf(query, k, []);
  const share = Math.min(1, filter.count / Math.max(1, view.index.size()));
  const pending: Candidate[] = [];
  for (const [key, vector] of view.pending) if (vector !== null) pending.push({ key, vector });
  for (let widen = FILTER_MARGIN / share; ; widen *= FILTER_DEEPER) {
    const found = indexCandidates(view, query, k, widen, filter.count);
    if (found === null) return nearestOf(query, k, withVectors(view, filter.all()));
    // The index's candidates and the pending changes asked about at once: one query. Only the
    // matching candidates' vectors are looked up: a narrow filter drops most of them.
    const matching = filter.matching([...found.keys, ...pending.map((candidate) => candidate.key)]);
    const kept = withVectors(view, found.keys.filter((key) => matching.has(key)));
    if (kept.length >= found.depth || found.all) return nearestOf(query, k, [...kept, ...pending.filter((candidate) => matching.has(candidate.key))]);
  }
}

interface Candidate {
  readonly key: bigint;
  readonly vector: Float32Array;
}

/**
 * The keys of the index's best for a search of k (stale keys, those with a pending change,
 * dropped), `widen` times as many as an unfiltered search asks for; null when that is more than
 * `limit`, where scoring the `limit` chunks themselves costs less. `all` says the index gave every
 * key it holds.
 */
function indexCandidates(view: AnnView, query: Float32Array, k: number, widen = 1, limit = Infinity):
  { keys: bigint[]; depth: number; all: boolean } | null {
  const keys: bigint[] = [];
  const size = view.index.size();
  if (size === 0) return { keys, depth: 0, all: true };
  const sparse = sparseQuery(query, view.columnsUpTo);
  const columns = sparse !== null ? view.columns() : null;
  const depth = columns !== null ? columnsRescoreDepth(k) : rescoreDepth(k);
  // Stale keys among the matches are dropped, so ask for as many more as could be.
  const widened = Math.ceil(depth * widen);
  if (widened > limit) return null;
  const wanted = Math.min(size, widened + view.pending.size);
  const found = columns !== null ? columns.search(sparse!, wanted) : view.index.search(query, wanted, 1);
  for (const key of found.keys) if (!view.pending.has(key)) keys.push(key);
  return { keys, depth, all: wanted === size };
}

/** Each of `keys` with its vector in the view: a pending change's own, else the index's; a key gone since is left out. */
function withVectors(view: AnnView, keys: readonly bigint[]): Candidate[] {
  const candidates: Candidate[] = [];
  for (const key of keys) {
    const vector = view.pending.has(key) ? view.pending.get(key) : view.vectors.get(key);
    if (vector !== null && vector !== undefined) candidates.push({ key, vector });
  }
  return candidates;
}

/** The k candidates nearest the query by exact cosine distance, nearest first. */
function nearestOf(query: Float32Array, k: number, candidates: readonly Candidate[]): IndexMatches {
  const distances = candidates.map((candidate) => cosineDistance(query, candidate.vector));
  // Many candidates (every chunk a filter matches): the k-th distance from a typed sort of the
  // numbers alone, then only those within it put in order.
  const kth = candidates.length <= 4 * k ? Infinity : Float64Array.from(distances).sort()[k - 1]!;
  const best = candidates.map((candidate, i) => ({ key: candidate.key, distance: distances[i]! }))
    .filter((candidate) => candidate.distance <= kth)
    .sort((a, b) => a.distance - b.distance).slice(0, k);
  return { keys: BigUint64Array.from(best, (c) => c.key), distances: Float32Array.from(best, (c) => c.distance) };
}

/** 1 − cosine, the distance the index's metric reports; a vector with no direction is at 1. */
export function cosineDistance(a: Float32Array, b: Float32Array): number {
  let dot = 0;
  let normA = 0;
  let normB = 0;
  for (let i = 0; i < a.length; i++) {
    dot += a[i]! * b[i]!;
    normA += a[i]! * a[i]!;
    normB += b[i]! * b[i]!;
  }
  return normA === 0 || normB === 0 ? 1 : 1 - dot / Math.sqrt(normA * normB);
}
